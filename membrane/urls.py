from __future__ import annotations

from django.urls import include, path

from .actions import views as actions_views
from .decisions import views as decisions_views
from .runs import views as runs_views
from .stages import views as stages_views
from .stages import views_authoring as stages_authoring

urlpatterns = [
    path("principles/", include("membrane.principles.urls")),
    path("decisions/", decisions_views.decision_log, name="decisions"),
    path("stages/", stages_views.stage_rules, name="stages"),
    # Before `stages/<key>/`: "rules" is the stage rules' pages, not a stage.
    path("stages/rules/", stages_authoring.versions, name="stage-rules"),
    path("stages/rules/v<int:number>/edit/", stages_authoring.edit, name="stage-rules-edit"),
    path("stages/rules/v<int:number>/<stage_rules_step:step>/", stages_authoring.step, name="stage-rules-step"),
    path("stages/rules/editor/check/", stages_authoring.editor_check, name="stage-rules-check"),
    path("stages/rules/editor/moves/", stages_authoring.editor_moves, name="stage-rules-moves"),
    path("stages/<slug:key>/", stages_views.stage_customers, name="stage-customers"),
    path("actions/", actions_views.action_queue, name="actions"),
    path("runs/", runs_views.run_list, name="runs"),
    path("runs/start/", runs_views.run_start, name="run-start"),
    path("runs/<int:pk>/", runs_views.run_detail, name="run"),
]
