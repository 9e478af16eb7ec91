"""What every step of a principle version's life shares: the fields a draft edits and their validation, who may
take a step at all, the audit row each step leaves, the next version's number, and telling the decision engine
that the published set changed. The drafting steps (services.py) and the review steps (review.py) use these."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cxcore.models import Role
from membrane.decisions.engine import ruleset_invalidate
from membrane.models.principles import Principle, PrincipleAudit, PrincipleVersion

from .errors import InvalidVersion, NotAllowed
from .schemas import version_fields_check

EDITABLE_FIELDS = (
    "categories",
    "channels",
    "teams",
    "condition",
    "effect",
    "params",
    "priority",
    "examples",
    "change_note",
)


def manager_require(actor, doing: str) -> None:
    if actor is None or not actor.has_role(Role.CX_MANAGER, Role.ADMIN):
        raise NotAllowed(f"Only a CX manager can {doing}.")


def audit_append(version: PrincipleVersion, actor, action: str, *, at=None, comment: str = "") -> None:
    PrincipleAudit.objects.create(
        principle_id=version.principle_id,
        version=version,
        actor=actor,
        action=action,
        at=at or timezone.now(),
        comment=comment,
    )


def ruleset_changed() -> None:
    # The engine caches the compiled published set; drop it now (this process, this transaction)
    # and again once the change is visible to everyone.

    ruleset_invalidate()
    transaction.on_commit(ruleset_invalidate)


def version_fields_clean(fields: dict) -> dict:
    """Validates a version's content (schemas.VERSION); returns it canonical or raises InvalidVersion naming
    every bad field by its path."""
    cleaned, errors = version_fields_check(fields)
    if errors:
        raise InvalidVersion(errors)
    return cleaned


def next_number(principle: Principle) -> int:
    return (principle.versions.aggregate(top=Max("number"))["top"] or 0) + 1
