from __future__ import annotations

from django.urls import path

from . import views, views_runs

urlpatterns = [
    path("principles/", views.principle_list, name="principles"),
    path("stages/", views.stage_rules, name="stages"),
    path("actions/", views.action_queue, name="actions"),
    path("runs/", views_runs.run_list, name="runs"),
    path("runs/start/", views_runs.run_start, name="run-start"),
]
