"""The URLconf of the gunicorn that `bench decisions` starts (bench.decisions_settings): the project's,
plus two bare views for the baselines, so all run in the same processes with the same middleware."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import JSONParser
from membrane.decisions.api import DECIDERS

# DESIGN.md section 12's baseline: a bare DRF view, no database, no authentication.
BARE_PATH = "/bench/bare"
# The same with the decision API's token authentication and permission (one query for the token).
BARE_AUTHENTICATED_PATH = "/bench/bare-authenticated"


class BareView(APIView):
    """The baseline: DRF with the decision API's parser and no work, no database, no authentication."""

    parser_classes = [JSONParser]
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def post(self, request):
        request.data  # noqa: B018 -- the body is parsed, as the decision API parses it
        return Response({"verdict": "allow", "decided_by": None, "reason": "bare"})


class BareAuthenticatedView(BareView):
    """The baseline with the decision API's authentication and permission (the token looked up)."""

    authentication_classes = APIView.authentication_classes
    permission_classes = [DECIDERS]


urlpatterns = [
    path(BARE_PATH.lstrip("/"), BareView.as_view()),
    path(BARE_AUTHENTICATED_PATH.lstrip("/"), BareAuthenticatedView.as_view()),
    path("", include("config.urls")),
]
