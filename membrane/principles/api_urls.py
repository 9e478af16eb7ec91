"""/api/v1/principles...: the principles' endpoints for integrations (read) and console users (write)."""

from django.urls import path

from . import api, api_impact, api_write

# The impact endpoint (versions/<n>/impact, a GET) goes above the step route, which answers any other word
# after a version with 404 "unknown step".
urlpatterns = [
    path("principles", api_write.PrincipleListCreateView.as_view(), name="api-principles"),
    path("principles/<slug:slug>", api.PrincipleDetailView.as_view(), name="api-principle"),
    path("principles/<slug:slug>/versions", api_write.PrincipleDraftView.as_view(), name="api-principle-versions"),
    path(
        "principles/<slug:slug>/versions/<int:number>",
        api_write.PrincipleVersionView.as_view(),
        name="api-principle-version",
    ),
    path(
        "principles/<slug:slug>/versions/<int:number>/impact",
        api_impact.PrincipleImpactView.as_view(),
        name="api-principle-impact",
    ),
    path(
        "principles/<slug:slug>/versions/<int:number>/<str:step>",
        api_write.PrincipleStepView.as_view(),
        name="api-principle-step",
    ),
]
