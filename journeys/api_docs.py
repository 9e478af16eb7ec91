"""The campaigns API's OpenAPI documentation: the campaign's shape, the write requests' and the errors'."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter

from cxcore.api import ERROR_SCHEMA

from .models import CampaignStatus

_TIME = {"type": "string", "format": "date-time"}
_WRITABLE = {
    "name": {"type": "string", "maxLength": 200},
    "team": {
        "type": "string",
        "description": "A team's key; a marketer's own team by default.",
        "example": "marketing_devices",
    },
    "category": {"type": "string", "description": "A category's key.", "example": "upsell"},
    "channel": {"type": "string", "description": "A channel's key.", "example": "email"},
    "audience": {
        "type": "string",
        "description": "An expression in the audience context (the customer facts), as POST /api/v1/expressions/check "
        'with context "audience" checks it.',
        "example": 'stage == "at_risk" and open_tickets == 0',
    },
    "audience_list": {
        "type": "array",
        "items": {"type": "string"},
        "nullable": True,
        "writeOnly": True,
        "maxItems": 1_000_000,
        "description": "Customers' external ids: the audience is then the listed customers the audience expression "
        "holds for (a blank or missing expression is true: the whole list). It replaces the stored list; [] or null "
        "removes it; left out, a PATCH keeps it. Any unknown id: 400 naming how many and the first few, nothing "
        "saved. Read back as audience_list_size. A body with a list may be as large as such a list at its longest "
        "(about 106 MB, sent with its Content-Length); any other body, 2.5 MB (413 beyond).",
        "example": ["C-10001", "C-10002"],
    },
    "starts_at": {**_TIME, "description": "ISO 8601 with its offset (without one: the site's time zone)."},
    "ends_at": {**_TIME, "description": "After starts_at."},
    "touches": {"type": "integer", "minimum": 1, "default": 1, "description": "Contacts per customer over the window."},
    "priority": {
        "type": "integer",
        "default": 0,
        "description": "Where campaigns collide the higher keeps the customer.",
    },
    "status": {"type": "string", "enum": list(CampaignStatus.values), "default": "draft"},
}
CAMPAIGN_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        **_WRITABLE,
        "lock_version": {"type": "integer", "description": "Send it back with a PATCH: a stale one is a 409."},
        "audience_list_size": {
            "type": "integer",
            "readOnly": True,
            "description": "How many customers the campaign's audience list names; 0: no list.",
        },
        "created_by": {"type": "string", "nullable": True, "description": "null when an integration wrote it."},
        "updated_by": {"type": "string", "nullable": True},
        "created_at": _TIME,
        "updated_at": _TIME,
    },
}
CREATE_DOC = {
    "type": "object",
    "properties": _WRITABLE,
    "required": ["name", "category", "channel", "starts_at", "ends_at"],
    "description": "audience is required unless an audience_list is given.",
}
PATCH_DOC = {
    "type": "object",
    "properties": {"lock_version": {"type": "integer"}, **_WRITABLE},
    "required": ["lock_version"],
}
INVALID_DOC = {
    **ERROR_SCHEMA,
    "properties": {
        **ERROR_SCHEMA["properties"],
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **ERROR_SCHEMA["properties"]["errors"]["items"]["properties"],
                    "line": {"type": "integer", "description": "For an audience's problem: where it is (from 1)."},
                    "column": {"type": "integer"},
                    "suggestion": {"type": "string", "description": "What the audience probably meant."},
                },
            },
        },
    },
}
CONFLICT_DOC = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "saved_by": {"type": "string", "nullable": True},
        "saved_at": _TIME,
        "current": CAMPAIGN_SCHEMA,
    },
}
LIST_PARAMETERS = [
    OpenApiParameter("team", str, description="A team's key."),
    OpenApiParameter("status", str, enum=list(CampaignStatus.values)),
    OpenApiParameter("from", str, description="Campaigns whose window ends after this time (ISO 8601)."),
    OpenApiParameter("to", str, description="Campaigns whose window starts before this time (ISO 8601)."),
]
