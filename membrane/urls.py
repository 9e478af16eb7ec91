from __future__ import annotations

from django.urls import include, path

from .actions import views as actions_views
from .decisions import views as decisions_views
from .desk import views as desk_views
from .runs import views as runs_views
from .stages import views as stages_views
from .stages import views_authoring as stages_authoring

urlpatterns = [
    path("principles/", include("membrane.principles.urls")),
    path("decisions/", decisions_views.decision_log, name="decisions"),
    path("decisions/export.csv", decisions_views.decision_log_csv, name="decisions-csv"),
    path("decisions/<uuid:decision_id>/", decisions_views.decision_detail, name="decision"),
    path("stages/", stages_views.stage_rules, name="stages"),
    # Before `stages/<key>/`: "rules" is the stage rules' pages, not a stage.
    path("stages/rules/", stages_authoring.versions, name="stage-rules"),
    path("stages/rules/v<int:number>/edit/", stages_authoring.edit, name="stage-rules-edit"),
    path("stages/rules/v<int:number>/<stage_rules_step:step>/", stages_authoring.step, name="stage-rules-step"),
    path("stages/rules/editor/check/", stages_authoring.editor_check, name="stage-rules-check"),
    path("stages/rules/editor/moves/", stages_authoring.editor_moves, name="stage-rules-moves"),
    path("stages/<slug:key>/", stages_views.stage_customers, name="stage-customers"),
    path("actions/", actions_views.action_queue, name="actions"),
    # The desk on the customer page: what an agent records there. The id comes last, as it may hold slashes.
    path("desk/eta/<external_id:external_id>/", desk_views.eta_record, name="desk-eta"),
    path("desk/call/<external_id:external_id>/", desk_views.call_record, name="desk-call"),
    path("desk/task/<int:pk>/<slug:step>/", desk_views.task_step, name="desk-task"),
    path("runs/", runs_views.run_list, name="runs"),
    path("runs/start/", runs_views.run_start, name="run-start"),
    path("runs/<int:pk>/", runs_views.run_detail, name="run"),
]
