"""POST /api/v1/expressions/check: an expression checked against the facts of its context."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.authentication import scope_required
from cxcore.models import Role
from membrane.catalogue import CONTEXTS, facts_for

from . import check_report


class StrictCharField(serializers.CharField):
    """A string and only a string: DRF's CharField would quietly turn 5 or true into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class ExpressionCheckRequest(serializers.Serializer):
    # No max_length: the checker reports an over-long expression with its limit, like any other problem.
    expression = StrictCharField(allow_blank=True, trim_whitespace=False)
    context = serializers.ChoiceField(choices=CONTEXTS)


class ExpressionProblemSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.IntegerField()
    message = serializers.CharField()
    suggestion = serializers.CharField(required=False)


class ExpressionCheckResult(serializers.Serializer):
    ok = serializers.BooleanField()
    facts = serializers.ListField(child=serializers.CharField(), required=False)
    errors = ExpressionProblemSerializer(many=True, required=False)


class ExpressionCheckView(APIView):
    """Check an expression against the facts of its context: the same check the console editor runs."""

    # Reads nothing but the catalogue, yet like every endpoint it needs a scope or a console role.
    permission_classes = [scope_required("read", console_roles=tuple(Role.values))]

    @extend_schema(request=ExpressionCheckRequest, responses=ExpressionCheckResult)
    def post(self, request):
        body = ExpressionCheckRequest(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        return Response(check_report(data["expression"], facts_for(data["context"])))
