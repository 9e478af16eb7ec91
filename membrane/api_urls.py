from django.urls import path

from . import api, api_decisions, api_principles, api_stages

urlpatterns = [
    path("expressions/check", api.ExpressionCheckView.as_view(), name="api-expressions-check"),
    path("decisions", api_decisions.DecisionView.as_view(), name="api-decisions"),
    path("decisions/batch", api_decisions.DecisionBatchView.as_view(), name="api-decisions-batch"),
    path("principles", api_principles.PrincipleListView.as_view(), name="api-principles"),
    path("principles/<slug:slug>", api_principles.PrincipleDetailView.as_view(), name="api-principle"),
    path("stages", api_stages.StagesView.as_view(), name="api-stages"),
]
