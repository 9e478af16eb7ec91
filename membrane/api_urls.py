from django.urls import include, path

from .decisions import api as decisions_api
from .expressions import api as expressions_api
from .stages import api as stages_api

urlpatterns = [
    path("expressions/check", expressions_api.ExpressionCheckView.as_view(), name="api-expressions-check"),
    path("decisions", decisions_api.DecisionView.as_view(), name="api-decisions"),
    path("decisions/batch", decisions_api.DecisionBatchView.as_view(), name="api-decisions-batch"),
    path("", include("membrane.principles.api_urls")),
    path("stages", stages_api.StagesView.as_view(), name="api-stages"),
]
