from django.urls import path

from . import api, api_conflicts, api_preview

urlpatterns: list = [
    path("campaigns", api.CampaignListView.as_view(), name="api-campaigns"),
    path("campaigns/<int:pk>", api.CampaignDetailView.as_view(), name="api-campaign"),
    path("conflicts", api_conflicts.ConflictsView.as_view(), name="api-conflicts"),
    path("campaigns/<int:pk>/preview", api_preview.CampaignPreviewView.as_view(), name="api-campaign-preview"),
    path(
        "campaigns/<int:pk>/preview.csv", api_preview.CampaignPreviewCsvView.as_view(), name="api-campaign-preview-csv"
    ),
]
