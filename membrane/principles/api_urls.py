"""/api/v1/principles...: the principles' endpoints for integrations (read) and console users (write)."""

from django.urls import path

from . import api

urlpatterns = [
    path("principles", api.PrincipleListView.as_view(), name="api-principles"),
    path("principles/<slug:slug>", api.PrincipleDetailView.as_view(), name="api-principle"),
]
