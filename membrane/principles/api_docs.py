"""The principles API's OpenAPI documentation: the answers' shapes (api) and the write requests' (api_write).

The request bodies' version fields are documented from the schema that validates them (schemas.VERSION).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

from cxcore.api import DETAIL_SCHEMA, ERROR_SCHEMA
from membrane.models.principles import Effect, VersionStatus

from .schemas import VERSION

REQUIRED_TO_CREATE = ("slug", "title", "condition", "effect")

_STRINGS = {"type": "array", "items": {"type": "string"}}
_TIME = {"type": "string", "format": "date-time", "nullable": True}
EXAMPLE_RESULT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "passed": {"type": "boolean"},
        "expected": {"type": "string", "example": "suppress"},
        "actual": {"type": "string", "example": "allow"},
    },
}
VERSION_SCHEMA = {
    "type": "object",
    "properties": {
        "number": {"type": "integer"},
        "status": {"type": "string", "enum": list(VersionStatus.values)},
        "scope": {
            "type": "object",
            "properties": {"categories": _STRINGS, "channels": _STRINGS, "teams": _STRINGS},
            "description": "Vocabulary keys; an empty list means all.",
        },
        "condition": {"type": "string"},
        "effect": {"type": "string", "enum": list(Effect.values)},
        "params": {"type": "object"},
        "priority": {"type": "integer"},
        "examples": {"type": "array", "items": {"type": "object"}},
        "change_note": {"type": "string"},
        "review_comment": {"type": "string", "description": "The reviewer's comment when sent back to draft."},
        "lock_version": {"type": "integer", "description": "Send it back with a PATCH: a stale one is a 409."},
        "author": {"type": "string", "nullable": True},
        "approver": {"type": "string", "nullable": True},
        "created_at": _TIME,
        "updated_at": _TIME,
        "submitted_at": _TIME,
        "approved_at": _TIME,
        "published_at": _TIME,
        "ended_at": _TIME,
        "example_results": {
            "type": "array",
            "items": EXAMPLE_RESULT_SCHEMA,
            "description": "Its examples run against its condition (not in the list of principles).",
        },
        "diff": {**_STRINGS, "description": "Unified diff lines from the previous version (one principle only)."},
    },
}
PRINCIPLE_SCHEMA = {
    "type": "object",
    "properties": {
        "slug": {"type": "string"},
        "title": {"type": "string"},
        "team": {"type": "string", "description": "The owning team: the author's."},
        "rationale": {"type": "string", "description": "Markdown."},
        "published": {**VERSION_SCHEMA, "nullable": True},
        "versions": {"type": "array", "items": VERSION_SCHEMA, "description": "Newest first (one principle only)."},
    },
}


# -- requests ---------------------------------------------------------------------------------------------

_VERSION_FIELDS_DOC = {name: field.openapi for name, field in VERSION.fields.items()}
CREATE_DOC = {
    "type": "object",
    "properties": {
        "slug": {"type": "string", "maxLength": 80, "pattern": "^[-a-zA-Z0-9_]+$"},
        "title": {"type": "string", "maxLength": 200},
        "rationale": {"type": "string", "description": "Markdown; sanitised when shown."},
        **_VERSION_FIELDS_DOC,
    },
    "required": list(REQUIRED_TO_CREATE),
    "additionalProperties": False,
    "example": {
        "slug": "no-surveys-in-crisis",
        "title": "No surveys during a crisis",
        "rationale": "Asking how we did while the problem is open makes it worse.",
        "categories": ["survey"],
        "condition": 'stage == "crisis"',
        "effect": "suppress",
        "priority": 100,
        "examples": [
            {
                "name": "crisis",
                "facts": {"stage": "crisis"},
                "interaction": {"category": "survey"},
                "expect_verdict": "suppress",
            }
        ],
    },
}
CHANGES_DOC = {
    "type": "object",
    "properties": _VERSION_FIELDS_DOC,
    "additionalProperties": False,
    "description": "The fields to change; the others are copied from the latest version.",
}
PATCH_DOC = {
    "type": "object",
    "properties": {
        "lock_version": {"type": "integer", "description": "The version's lock_version as you read it."},
        **_VERSION_FIELDS_DOC,
    },
    "required": ["lock_version"],
    "additionalProperties": False,
}
INVALID_DOC = {
    **ERROR_SCHEMA,
    "description": (
        "Every bad field by its path (`params.days`, `examples[0].facts`); a condition's problems each with "
        "`line`, `column`, `message` and `suggestion`, as POST /api/v1/expressions/check reports them."
    ),
}
CONFLICT_DOC = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "saved_by": {"type": "string"},
        "saved_at": {"type": "string", "format": "date-time"},
        "changes": {
            "type": "array",
            "description": "What happened since your copy, oldest first; an edit's comment names the fields.",
            "items": {
                "type": "object",
                "properties": {
                    "by": {"type": "string"},
                    "at": {"type": "string", "format": "date-time"},
                    "action": {"type": "string", "enum": ["edit", "reject"]},
                    "comment": {"type": "string", "example": "changed condition, priority"},
                },
            },
        },
        "current": VERSION_SCHEMA,
    },
}
WRITE_REFUSED = {
    401: OpenApiResponse(DETAIL_SCHEMA, description="Not signed in."),
    403: OpenApiResponse(DETAIL_SCHEMA, description="A token, a missing CSRF header, or a role that may not."),
}


STEP_DOC = {
    "type": "object",
    "properties": {
        "comment": {"type": "string", "description": "reject: what to change (required); retire: why."},
        "change_note": {"type": "string", "description": "rollback: the new version's note."},
    },
    "additionalProperties": False,
}
