from __future__ import annotations

from django.urls import path

from . import views_actions, views_principles, views_runs, views_stages

urlpatterns = [
    path("principles/", views_principles.principle_list, name="principles"),
    path("principles/<slug:slug>/", views_principles.principle_detail, name="principle"),
    path("decisions/", views_principles.decision_log, name="decisions"),
    path("stages/", views_stages.stage_rules, name="stages"),
    path("stages/<slug:key>/", views_stages.stage_customers, name="stage-customers"),
    path("actions/", views_actions.action_queue, name="actions"),
    path("runs/", views_runs.run_list, name="runs"),
    path("runs/start/", views_runs.run_start, name="run-start"),
    path("runs/<int:pk>/", views_runs.run_detail, name="run"),
]
