from django.urls import path

from . import api, api_conflicts

urlpatterns: list = [
    path("campaigns", api.CampaignListView.as_view(), name="api-campaigns"),
    path("campaigns/<int:pk>", api.CampaignDetailView.as_view(), name="api-campaign"),
    path("conflicts", api_conflicts.ConflictsView.as_view(), name="api-conflicts"),
]
