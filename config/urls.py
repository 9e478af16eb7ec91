from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Django renders its 500 page with no context; the console keeps its navigation (cxcore.views_errors).
handler500 = "cxcore.views_errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("cxcore.api_urls")),
    path("api/v1/", include("membrane.api_urls")),
    path("api/v1/", include("journeys.api_urls")),
    path("", include("cxcore.urls")),
    path("", include("membrane.urls")),
    path("", include("journeys.urls")),
]
