"""The URLconf of the gunicorn that `bench decisions` starts (bench.decisions_settings): the project's,
plus a bare view for the baseline, so both run in the same processes with the same middleware."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import JSONParser
from membrane.decisions.api import DECIDERS

BARE_PATH = "/bench/bare"


class BareView(APIView):
    """The baseline: DRF with the decision API's parser, authentication and permission, and no work."""

    parser_classes = [JSONParser]
    permission_classes = [DECIDERS]

    def post(self, request):
        return Response({"verdict": "allow", "decided_by": None, "reason": "bare"})


urlpatterns = [path(BARE_PATH.lstrip("/"), BareView.as_view()), path("", include("config.urls"))]
