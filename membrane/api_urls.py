from django.urls import path

from . import api_decisions
from .expressions import api as expressions_api
from .principles import api as principles_api
from .stages import api as stages_api

urlpatterns = [
    path("expressions/check", expressions_api.ExpressionCheckView.as_view(), name="api-expressions-check"),
    path("decisions", api_decisions.DecisionView.as_view(), name="api-decisions"),
    path("decisions/batch", api_decisions.DecisionBatchView.as_view(), name="api-decisions-batch"),
    path("principles", principles_api.PrincipleListView.as_view(), name="api-principles"),
    path("principles/<slug:slug>", principles_api.PrincipleDetailView.as_view(), name="api-principle"),
    path("stages", stages_api.StagesView.as_view(), name="api-stages"),
]
