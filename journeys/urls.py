from __future__ import annotations

from django.urls import path

from . import views, views_conflicts, views_preview

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign-new"),
    path("campaigns/audience/check/", views.audience_check, name="campaign-audience-check"),
    path("campaigns/audience/count/", views.audience_live_count, name="campaign-audience-count"),
    path("campaigns/<int:pk>/", views.campaign_page, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign-edit"),
    path("campaigns/<int:pk>/preview/", views_preview.campaign_preview, name="campaign-preview"),
    *(
        path(f"campaigns/<int:pk>/{step}/", views.campaign_step, {"step": step}, name=f"campaign-{step}")
        for step in views.STEPS
    ),
    path("conflicts/", views_conflicts.conflict_board_page, name="conflicts"),
]
