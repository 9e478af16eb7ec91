from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("conflicts/", views.conflict_board, name="conflicts"),
]
