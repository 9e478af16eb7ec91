from django.urls import path

from . import api

urlpatterns: list = [
    path("campaigns", api.CampaignListView.as_view(), name="api-campaigns"),
    path("campaigns/<int:pk>", api.CampaignDetailView.as_view(), name="api-campaign"),
]
