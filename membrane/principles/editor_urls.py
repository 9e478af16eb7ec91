"""The principle editor's routes: writing a version, its examples, and their live checks."""

from django.urls import path

from . import editor

urlpatterns = [
    path("new/", editor.principle_new, name="principle-new"),
    path("<slug:slug>/v<int:number>/edit/", editor.principle_edit, name="principle-edit"),
    path("editor/check/", editor.editor_check, name="principle-editor-check"),
    path("editor/preview/", editor.editor_preview, name="principle-editor-preview"),
    path("editor/params/", editor.editor_params, name="principle-editor-params"),
    path("editor/count/", editor.editor_count, name="principle-editor-count"),
]
