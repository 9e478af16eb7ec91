"""The principles' console pages; the editor's own routes live in editor_urls.py."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.principle_list, name="principles"),
    path("", include("membrane.principles.editor_urls")),
    path("<slug:slug>/", views.principle_detail, name="principle"),
]
