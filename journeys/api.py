"""/api/v1/campaigns: the campaigns of DESIGN.md section 9, on the services the console calls.

Tokens need the `campaigns` scope to write (`read` or `campaigns` to read); console users sign in with a
session: marketers, CX managers and administrators read, and the services decide who writes (a marketer
only their own team's campaigns: 403 for another's).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import AUTH_RESPONSES, DETAIL_SCHEMA, JSONParser, invalid, json_body
from cxcore.authentication import scope_required
from cxcore.schemas import error

from . import selectors, services
from .api_docs import CAMPAIGN_SCHEMA, CONFLICT_DOC, CREATE_DOC, INVALID_DOC, LIST_PARAMETERS, PATCH_DOC
from .audience_lists import list_body_limit
from .models import Campaign
from .selectors import READER_ROLES

READERS = scope_required("campaigns", console_roles=READER_ROLES) | scope_required("read", console_roles=READER_ROLES)
WRITERS = scope_required("campaigns", console_roles=READER_ROLES)
REFUSED = {
    **AUTH_RESPONSES,
    403: OpenApiResponse(DETAIL_SCHEMA, description="The token lacks the scope, or this user may not (the reason)."),
}


def _time(value):
    return value.isoformat() if value else None


def campaign_json(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.pk,
        "name": campaign.name,
        "team": campaign.team.key,
        "category": campaign.category.key,
        "channel": campaign.channel.key,
        "audience": campaign.audience,
        "audience_list_size": campaign.audience_list_size,
        "starts_at": _time(campaign.starts_at),
        "ends_at": _time(campaign.ends_at),
        "touches": campaign.touches,
        "priority": campaign.priority,
        "status": campaign.status,
        "lock_version": campaign.lock_version,
        "created_by": campaign.created_by.get_username() if campaign.created_by else None,
        "updated_by": campaign.updated_by.get_username() if campaign.updated_by else None,
        "created_at": _time(campaign.created_at),
        "updated_at": _time(campaign.updated_at),
    }


def errors_json(exc: services.InvalidCampaign) -> list[dict]:
    """Every bad field in the API's error shape; the audience's problems each with line, column, message and
    suggestion, so an editor can point at them."""
    found = []
    for field, message in exc.errors.items():
        if field == "audience" and exc.problems:
            found.extend(
                {
                    "index": None,
                    "field": "audience",
                    "line": problem.line,
                    "column": problem.column,
                    "message": problem.message,
                    **({"suggestion": problem.suggestion} if getattr(problem, "suggestion", None) else {}),
                }
                for problem in exc.problems
            )
        else:
            found.append(error(None, field, message))
    return found


def refused(exc: services.CampaignError) -> Response:
    """A service's refusal as the API answers it: 403 who may not, 409 a stale copy or a status, 400 values."""
    if isinstance(exc, services.NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, services.InvalidCampaign):
        return invalid("Invalid campaign.", errors_json(exc))
    if isinstance(exc, services.StaleCopy):
        body = {
            "detail": str(exc),
            "saved_by": exc.saved_by,
            "saved_at": _time(exc.saved_at),
            "current": campaign_json(exc.current),
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


def _object_body(request) -> tuple[dict | None, Response | None]:
    body, bad = json_body(request, limit=list_body_limit())
    if bad is None and not isinstance(body, dict):
        bad = invalid("Invalid input.", [error(None, None, "Must be a JSON object.")])
    return body, bad


def _filters(params) -> tuple[selectors.CampaignFilters | None, list[dict]]:
    errors, times = [], {}
    for name in ("from", "to"):
        given = params.get(name)
        if given:
            parsed = services.time_parse(given)
            if isinstance(parsed, str):
                errors.append(error(None, name, parsed))
            else:
                times[name] = parsed
    state = params.get("status", "")
    if state and state not in selectors.STATUSES:
        errors.append(error(None, "status", f"One of {', '.join(selectors.STATUSES)}."))
    if errors:
        return None, errors
    filters = selectors.CampaignFilters(
        team=params.get("team", ""), status=state, from_=times.get("from"), to=times.get("to")
    )
    return filters, []


class CampaignListView(APIView):
    parser_classes = [JSONParser]

    def get_permissions(self):
        return [READERS()] if self.request.method in permissions.SAFE_METHODS else [WRITERS()]

    @extend_schema(
        operation_id="campaign_list",
        summary="Every campaign, optionally narrowed",
        tags=["campaigns"],
        parameters=LIST_PARAMETERS,
        responses={
            200: OpenApiResponse({"type": "array", "items": CAMPAIGN_SCHEMA}, description="In window order."),
            400: OpenApiResponse(INVALID_DOC, description="A bad filter."),
            **REFUSED,
        },
    )
    def get(self, request):
        filters, errors = _filters(request.query_params)
        if errors:
            return invalid("Invalid filter.", errors)
        return Response([campaign_json(c) for c in selectors.campaigns_list(filters).select_related(*_PEOPLE)])

    @extend_schema(
        operation_id="campaign_create",
        summary="Create a campaign",
        description="A marketer's campaign belongs to their team (another team's: 403); a token with the "
        "`campaigns` scope names the team. touches defaults to 1, priority to 0, status to draft.",
        tags=["campaigns"],
        request={"application/json": CREATE_DOC},
        responses={
            201: OpenApiResponse(CAMPAIGN_SCHEMA, description="The campaign."),
            400: OpenApiResponse(
                INVALID_DOC,
                description="Every bad field; the audience's problems with line, column, message and suggestion.",
            ),
            **REFUSED,
        },
    )
    def post(self, request):
        body, bad = _object_body(request)
        if bad is not None:
            return bad
        try:
            campaign = services.campaign_create(actor=request.user, values=body)
        except services.CampaignError as exc:
            return refused(exc)
        return Response(campaign_json(_read(campaign.pk)), status=status.HTTP_201_CREATED)


_PEOPLE = ("created_by", "updated_by")


def _read(pk) -> Campaign:
    return Campaign.objects.select_related("team", "category", "channel", *_PEOPLE).get(pk=pk)


_ID = [OpenApiParameter("id", int, OpenApiParameter.PATH, description="The campaign's id.")]


class CampaignDetailView(APIView):
    parser_classes = [JSONParser]

    def get_permissions(self):
        return [READERS()] if self.request.method in permissions.SAFE_METHODS else [WRITERS()]

    @extend_schema(
        operation_id="campaign_read",
        summary="One campaign",
        tags=["campaigns"],
        parameters=_ID,
        responses={
            200: OpenApiResponse(CAMPAIGN_SCHEMA),
            404: OpenApiResponse(DETAIL_SCHEMA, description="No such campaign."),
            **REFUSED,
        },
    )
    def get(self, request, pk: int):
        return Response(campaign_json(selectors.campaign_get_for_user(request.user, pk)))

    @extend_schema(
        operation_id="campaign_update",
        summary="Change a campaign",
        description="Send the lock_version of the copy you edited with the fields you change.",
        tags=["campaigns"],
        parameters=_ID,
        request={"application/json": PATCH_DOC},
        responses={
            200: OpenApiResponse(CAMPAIGN_SCHEMA),
            400: OpenApiResponse(INVALID_DOC, description="Every bad field."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="No such campaign."),
            409: OpenApiResponse(CONFLICT_DOC, description="Someone saved since your copy: who, when, and now."),
            **REFUSED,
        },
    )
    def patch(self, request, pk: int):
        campaign = selectors.campaign_get_for_user(request.user, pk, write=True)
        body, bad = _object_body(request)
        if bad is not None:
            return bad
        changes = {name: value for name, value in body.items() if name != "lock_version"}
        try:
            campaign = services.campaign_update(
                campaign=campaign, actor=request.user, lock_version=body.get("lock_version"), changes=changes
            )
        except services.CampaignError as exc:
            return refused(exc)
        return Response(campaign_json(_read(campaign.pk)))

    @extend_schema(
        operation_id="campaign_delete",
        summary="Delete a draft or cancelled campaign",
        tags=["campaigns"],
        parameters=_ID,
        responses={
            204: OpenApiResponse(description="Deleted."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="No such campaign."),
            409: OpenApiResponse(DETAIL_SCHEMA, description="A scheduled campaign: cancel it first."),
            **REFUSED,
        },
    )
    def delete(self, request, pk: int):
        campaign = selectors.campaign_get_for_user(request.user, pk, write=True)
        try:
            services.campaign_delete(campaign=campaign, actor=request.user)
        except services.CampaignError as exc:
            return refused(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)
