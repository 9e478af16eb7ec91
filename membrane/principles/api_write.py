"""The principles' write endpoints (DESIGN.md section 9), for console users: a session and its CSRF header.

Create, new draft, edit with lock_version, and the lifecycle steps, each calling the one service that the
console calls too; the services decide who may (403), what the status allows (409) and what is valid (400).
Tokens are refused: integrations read principles (scope read), people write them, and the four-eyes rules
are about people.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from cxcore.api import DETAIL_SCHEMA, ERROR_SCHEMA, JSONParser, invalid, json_body
from cxcore.authentication import TokenUser
from cxcore.schemas import Field, Schema, error, text
from membrane.catalogue import facts_for
from membrane.expressions import check_report
from membrane.models.principles import PrincipleVersion

from . import selectors, services
from .api import READERS, PrincipleListView, iso_time, principle_with_versions_json, version_json
from .api_docs import (
    CHANGES_DOC,
    CONFLICT_DOC,
    CREATE_DOC,
    INVALID_DOC,
    PATCH_DOC,
    PRINCIPLE_SCHEMA,
    REQUIRED_TO_CREATE,
    STEP_DOC,
    VERSION_SCHEMA,
    WRITE_REFUSED,
)
from .schemas import version_fields_check

PRINCIPLE_FIELDS = ("slug", "title", "rationale")


class ConsoleWriters(permissions.BasePermission):
    """A console user signed in with a session; the services then check the role each step needs."""

    message = "Principles are written by people in the console (a session and its CSRF header), not with a token."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user is not None and user.is_authenticated and not isinstance(user, TokenUser)


# -- answers ---------------------------------------------------------------------------------------------------


def _errors_json(errors: dict[str, str], condition: Any) -> list[dict]:
    """Every bad field in the API's error shape; a bad condition as the expressions check reports it (each
    problem with its line, column, message and suggestion), so an editor can point at it."""
    found = []
    for field, message in errors.items():
        report = (
            check_report(condition, facts_for("principle"))
            if field == "condition" and isinstance(condition, str) and condition.strip()
            else {"ok": True}
        )
        if report["ok"]:
            found.append(error(None, field, message))
        else:
            found.extend({"index": None, "field": "condition", **problem} for problem in report["errors"])
    return found


def _conflict_json(exc: services.ConflictError, version: PrincipleVersion) -> dict:
    current = PrincipleVersion.objects.select_related("author", "approver").get(pk=version.pk)
    return {
        "detail": str(exc),
        "saved_by": exc.saved_by,
        "saved_at": iso_time(exc.saved_at),
        "changes": [
            {
                "by": row.actor.username if row.actor else None,
                "at": iso_time(row.at),
                "action": row.action,
                "comment": row.comment,
            }
            for row in exc.changes
        ],
        "current": version_json(current),
    }


def _refused(exc: services.PrincipleError, *, condition: Any = None, version=None) -> Response:
    """A service's refusal as the API answers it: 403 who may not, 409 what the status or a newer save does
    not allow, 400 every bad field."""
    if isinstance(exc, services.NotAllowed):
        return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, services.InvalidVersion):
        return invalid("Invalid principle.", _errors_json(exc.errors, condition))
    if isinstance(exc, services.ConflictError):
        return Response(_conflict_json(exc, version), status=status.HTTP_409_CONFLICT)
    body: dict[str, Any] = {"detail": str(exc)}
    if isinstance(exc, services.ExamplesFailing):
        body["failing"] = [{"name": r.name, "expected": r.expected, "actual": r.actual} for r in exc.failing]
    return Response(body, status=status.HTTP_409_CONFLICT)


def _object_body(request) -> tuple[dict | None, Response | None]:
    body, bad = json_body(request)
    if bad is None and not isinstance(body, dict):
        bad = invalid("Invalid input.", [error(None, None, "Must be a JSON object.")])
    return body, bad


def _shape_errors(body: dict, *, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> dict[str, str]:
    errors = {str(name): "Unknown field." for name in body if name not in allowed}
    errors.update({name: "This field is required." for name in required if name not in body})
    return errors


def _bad_shape(user, shape: dict[str, str], values: dict[str, str]) -> services.PrincipleError:
    """A body with unknown or missing fields: refused as the services would refuse its user (403) or else
    with its values' problems besides (400), so one answer names every bad field."""
    try:
        services.author_check(user)
    except services.NotAllowed as exc:
        return exc
    return services.InvalidVersion({**values, **shape})


def _version_get(slug: str, number: int) -> PrincipleVersion:
    version = (
        PrincipleVersion.objects.select_related("principle", "author", "approver")
        .filter(principle__slug=slug, number=number)
        .first()
    )
    if version is None:
        raise exceptions.NotFound(f"There is no principle '{slug}' with a v{number}.")
    return version


def _version_answer(version: PrincipleVersion, code: int = status.HTTP_200_OK) -> Response:
    version = PrincipleVersion.objects.select_related("author", "approver").get(pk=version.pk)
    return Response(version_json(version, results=True), status=code)


# -- endpoints -------------------------------------------------------------------------------------------------

# What a version holds before anything is given: what principle_create takes for a field left out, and None
# for the two it cannot do without.
_NEW_VERSION = {
    "categories": [],
    "channels": [],
    "teams": [],
    "condition": None,
    "effect": None,
    "params": {},
    "priority": 0,
    "examples": [],
    "change_note": "",
}


def _stored(version: PrincipleVersion) -> dict:
    return {name: getattr(version, name) for name in services.EDITABLE_FIELDS}


def _version_values(base: dict, given: dict) -> dict[str, str]:
    return version_fields_check({**base, **{k: v for k, v in given.items() if k in services.EDITABLE_FIELDS}})[1]


class PrincipleListCreateView(PrincipleListView):
    """GET: every principle (scope read). POST: a new principle with its draft v1, owned by the author's team."""

    parser_classes = [JSONParser]

    def get_permissions(self):
        return [READERS()] if self.request.method in permissions.SAFE_METHODS else [ConsoleWriters()]

    @extend_schema(
        operation_id="principle_create",
        summary="Create a principle with its first version, a draft",
        description="For CX managers (a session and its CSRF header); the principle belongs to the author's team.",
        tags=["principles"],
        request={"application/json": CREATE_DOC},
        responses={
            201: OpenApiResponse(PRINCIPLE_SCHEMA, description="The principle with its draft v1."),
            400: OpenApiResponse(INVALID_DOC, description="Every bad field."),
            **WRITE_REFUSED,
        },
    )
    def post(self, request):
        body, bad = _object_body(request)
        if bad is not None:
            return bad
        allowed = PRINCIPLE_FIELDS + services.EDITABLE_FIELDS
        given = {name: value for name, value in body.items() if name in allowed}
        try:
            shape = _shape_errors(body, allowed=allowed, required=REQUIRED_TO_CREATE)
            if shape:
                values = services.principle_fields_check(
                    slug=given.get("slug"), title=given.get("title"), rationale=given.get("rationale", "")
                )
                raise _bad_shape(request.user, shape, {**values, **_version_values(_NEW_VERSION, given)})
            version = services.principle_create(actor=request.user, **given)
        except services.PrincipleError as exc:
            return _refused(exc, condition=given.get("condition"))
        principle = selectors.principle_get(version.principle.slug)
        return Response(principle_with_versions_json(principle), status=status.HTTP_201_CREATED)


class PrincipleDraftView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [ConsoleWriters]

    @extend_schema(
        operation_id="principle_draft_create",
        summary="A new draft: the latest version copied, with changes",
        description="For CX managers (a session and its CSRF header).",
        tags=["principles"],
        request={"application/json": CHANGES_DOC},
        responses={
            201: OpenApiResponse(VERSION_SCHEMA, description="The new draft, its examples run."),
            400: OpenApiResponse(INVALID_DOC, description="Every bad field; nothing stored."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown principle."),
            **WRITE_REFUSED,
        },
    )
    def post(self, request, slug: str):
        principle = selectors.principle_get(slug)
        body, bad = _object_body(request)
        if bad is not None:
            return bad
        latest = max(principle.versions.all(), key=lambda version: version.number)
        changes = {name: value for name, value in body.items() if name in services.EDITABLE_FIELDS}
        try:
            shape = _shape_errors(body, allowed=services.EDITABLE_FIELDS)
            if shape:
                raise _bad_shape(request.user, shape, _version_values({**_stored(latest), "change_note": ""}, changes))
            draft = services.principle_version_draft_from_latest(principle=principle, actor=request.user, **changes)
        except services.PrincipleError as exc:
            return _refused(exc, condition=changes.get("condition", latest.condition))
        return _version_answer(draft, status.HTTP_201_CREATED)


class PrincipleVersionView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [ConsoleWriters]

    @extend_schema(
        operation_id="principle_version_update",
        summary="Edit a draft, given the lock_version you read",
        description=(
            "For CX managers (a session and its CSRF header). A stale lock_version is a 409 saying who saved, "
            "when and what changed since, with the version as it is now."
        ),
        tags=["principles"],
        request={"application/json": PATCH_DOC},
        responses={
            200: OpenApiResponse(VERSION_SCHEMA, description="The draft as saved, its examples run."),
            400: OpenApiResponse(INVALID_DOC, description="Every bad field; nothing stored."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown principle or version."),
            409: OpenApiResponse(CONFLICT_DOC, description="Saved by someone else since, or no longer a draft."),
            **WRITE_REFUSED,
        },
    )
    def patch(self, request, slug: str, number: int):
        version = _version_get(slug, number)
        body, bad = _object_body(request)
        if bad is not None:
            return bad
        changes = {name: value for name, value in body.items() if name in services.EDITABLE_FIELDS}
        lock_version = body.get("lock_version")
        try:
            shape = _shape_errors(body, allowed=("lock_version", *services.EDITABLE_FIELDS), required=("lock_version",))
            if "lock_version" in body and (isinstance(lock_version, bool) or not isinstance(lock_version, int)):
                shape["lock_version"] = "Must be an integer: the version's lock_version as you read it."
            if shape:
                raise _bad_shape(request.user, shape, _version_values(_stored(version), changes))
            version = services.principle_version_update(
                version=version, actor=request.user, lock_version=lock_version, **changes
            )
        except services.PrincipleError as exc:
            return _refused(exc, condition=changes.get("condition", version.condition), version=version)
        return _version_answer(version)


def _comment(required: bool) -> Field:
    return Field(text(10_000, blank=not required), {"type": "string", "maxLength": 10_000}, required=required)


# Each step: the body it takes, and the service it calls with the body's fields.
STEPS = {
    "submit": (Schema({}), services.principle_version_submit),
    "approve": (Schema({}), services.principle_version_approve),
    "reject": (Schema({"comment": _comment(True)}), services.principle_version_reject),
    "publish": (Schema({}), services.principle_version_publish),
    "retire": (Schema({"comment": _comment(False)}), services.principle_version_retire),
    "rollback": (Schema({"change_note": _comment(False)}), services.principle_version_rollback),
}


class PrincipleStepView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [ConsoleWriters]

    @extend_schema(
        operation_id="principle_version_step",
        summary="A lifecycle step: submit, approve, reject, publish, retire, or roll back to this version",
        description=(
            "For CX managers (a session and its CSRF header). Four eyes: nobody approves or rejects a version "
            "they wrote or edited, nor one written in their own team. Publishing needs an approval and every "
            "example passing (a 409 names the failing ones). Rollback publishes a copy of this once-published "
            "version as a new version (201)."
        ),
        tags=["principles"],
        parameters=[OpenApiParameter("step", str, OpenApiParameter.PATH, enum=list(STEPS))],
        request={"application/json": STEP_DOC},
        responses={
            200: OpenApiResponse(VERSION_SCHEMA, description="The version after the step."),
            201: OpenApiResponse(VERSION_SCHEMA, description="rollback: the new, published version."),
            400: OpenApiResponse(ERROR_SCHEMA, description="A bad body (reject needs a comment)."),
            404: OpenApiResponse(DETAIL_SCHEMA, description="Unknown principle, version or step."),
            409: OpenApiResponse(
                {**DETAIL_SCHEMA, "properties": {**DETAIL_SCHEMA["properties"], "failing": {"type": "array"}}},
                description="The status does not allow the step; for publish, `failing` names every failing example.",
            ),
            **WRITE_REFUSED,
        },
    )
    def post(self, request, slug: str, number: int, step: str):
        if step not in STEPS:
            return Response(
                {"detail": f"Unknown step '{step}'; one of {', '.join(STEPS)}."}, status=status.HTTP_404_NOT_FOUND
            )
        version = _version_get(slug, number)
        body, bad = _object_body(request)
        if bad is not None:
            return bad
        schema, service = STEPS[step]
        errors: list[dict] = []
        fields = schema.validate(body, errors=errors)
        if fields is None:
            return invalid("Invalid input.", errors)
        try:
            done = service(version=version, actor=request.user, **fields)
        except services.PrincipleError as exc:
            return _refused(exc)
        return _version_answer(done, status.HTTP_201_CREATED if step == "rollback" else status.HTTP_200_OK)
