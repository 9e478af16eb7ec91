from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import path
from django.views.generic import RedirectView

from . import views, views_privacy

urlpatterns = [
    # Browsers ask for /favicon.ico on pages that name no icon (the Django admin).
    path("favicon.ico", RedirectView.as_view(url=static("img/favicon.svg"), permanent=True)),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.dashboard, name="dashboard"),
    path("customers/", views.customer_list, name="customers"),
    path("customers/<external_id:external_id>/", views.customer_detail, name="customer"),
    # Not under customers/: an external id may be "views".
    path("customer-views/", views_privacy.customer_views, name="customer-views"),
]
