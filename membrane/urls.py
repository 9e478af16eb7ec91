from __future__ import annotations

from django.urls import path

from . import views_runs, views_stages
from .actions import views as actions_views
from .decisions import views as decisions_views
from .principles import views as principles_views

urlpatterns = [
    path("principles/", principles_views.principle_list, name="principles"),
    path("principles/<slug:slug>/", principles_views.principle_detail, name="principle"),
    path("decisions/", decisions_views.decision_log, name="decisions"),
    path("stages/", views_stages.stage_rules, name="stages"),
    path("stages/<slug:key>/", views_stages.stage_customers, name="stage-customers"),
    path("actions/", actions_views.action_queue, name="actions"),
    path("runs/", views_runs.run_list, name="runs"),
    path("runs/start/", views_runs.run_start, name="run-start"),
    path("runs/<int:pk>/", views_runs.run_detail, name="run"),
]
