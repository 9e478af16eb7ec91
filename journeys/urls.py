from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/audience/check/", views.audience_check, name="campaign-audience-check"),
    path("campaigns/audience/count/", views.audience_live_count, name="campaign-audience-count"),
    path("campaigns/<int:pk>/", views.campaign_page, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    *(
        path(f"campaigns/<int:pk>/{step}/", views.campaign_step, {"step": step}, name=f"campaign-{step}")
        for step in views.STEPS
    ),
    path("conflicts/", views.conflict_board, name="conflicts"),
]
