"""Every step of a principle's life: create, edit a draft, submit, approve, reject, publish, retire, roll back.

The API, the console and the admin all call these; none of them holds a rule of its own. Creating and editing
drafts live here; the review and publication steps in review.py, and what both share in versions.py, all
named here too, where callers look for them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from cxcore.models import Team
from cxcore.schemas import FieldError, text
from membrane.models.principles import (
    AuditAction,
    Principle,
    PrincipleAudit,
    PrincipleVersion,
    VersionStatus,
)

from .errors import (  # noqa: F401 - callers name the refusals through the services they call
    ConflictError,
    ExamplesFailing,
    InvalidTransition,
    InvalidVersion,
    NotAllowed,
    PrincipleError,
)
from .review import (  # noqa: F401 - the review steps, named here with the others
    principle_version_approve,
    principle_version_publish,
    principle_version_reject,
    principle_version_retire,
    principle_version_rollback,
    principle_version_submit,
)
from .schemas import version_fields_check
from .versions import (
    EDITABLE_FIELDS,
    audit_append,
    manager_require,
    next_number,
    version_fields_clean,
)

# Paths under the principles' routes that a principle's slug would shadow (membrane/principles/urls.py).
RESERVED_SLUGS = frozenset({"new", "review", "editor"})


def author_check(actor) -> None:
    """NotAllowed unless `actor` may write principles at all (create, edit, submit): a CX manager."""
    manager_require(actor, "write principles")


def principle_fields_check(*, slug, title, rationale) -> dict[str, str]:
    """The principle's own fields (not its version's), every problem by name."""
    errors = {}
    for name, value, parse in (
        ("slug", slug, text(80)),
        ("title", title, text(200)),
        ("rationale", rationale, text(20_000, blank=True)),
    ):
        try:
            parse(value)
        except FieldError as error:
            errors[name] = str(error)
    if "slug" not in errors:
        try:
            validate_slug(slug)
        except ValidationError:
            errors["slug"] = "letters, digits, hyphens and underscores only"
        else:
            if slug in RESERVED_SLUGS:
                errors["slug"] = f"'{slug}' names a page of the console; choose another slug"
            if Principle.objects.filter(slug=slug).exists():
                errors["slug"] = f"a principle '{slug}' already exists"
    return errors


def principle_create(
    *,
    actor,
    slug: str,
    title: str,
    team: Team | None = None,
    rationale: str = "",
    categories: list | None = None,
    channels: list | None = None,
    teams: list | None = None,
    condition: str,
    effect: str,
    params: dict | None = None,
    priority: int = 0,
    examples: list | None = None,
    change_note: str = "",
) -> PrincipleVersion:
    """A new principle with its first version, a draft; InvalidVersion names every bad field at once."""
    manager_require(actor, "create principles")
    team = team or actor.team
    errors = principle_fields_check(slug=slug, title=title, rationale=rationale)
    if team is None:
        errors["team"] = "a principle needs an owning team"
    fields, version_errors = version_fields_check(
        {
            "categories": categories or [],
            "channels": channels or [],
            "teams": teams or [],
            "condition": condition,
            "effect": effect,
            "params": params or {},
            "priority": priority,
            "examples": examples or [],
            "change_note": change_note,
        }
    )
    errors.update(version_errors)
    if errors:
        raise InvalidVersion(errors)
    try:
        with transaction.atomic():
            principle = Principle.objects.create(slug=slug, title=title, rationale=rationale, team=team)
            version = PrincipleVersion.objects.create(
                principle=principle, number=1, author=actor, updated_by=actor, **fields
            )
            audit_append(version, actor, AuditAction.CREATE)
    except IntegrityError:
        # Another manager created the same slug between the check and the insert.
        raise InvalidVersion({"slug": f"a principle '{slug}' already exists"}) from None
    return version


def principle_version_draft_create(*, version: PrincipleVersion, actor, change_note: str = "") -> PrincipleVersion:
    """Editing a version that is no longer a draft makes a new draft: a copy of it with the next number."""
    manager_require(actor, "edit principles")
    with transaction.atomic():
        principle = Principle.objects.select_for_update().get(pk=version.principle_id)
        draft = PrincipleVersion.objects.create(
            principle=principle,
            number=next_number(principle),
            author=actor,
            updated_by=actor,
            change_note=change_note,
            **{name: getattr(version, name) for name in EDITABLE_FIELDS if name != "change_note"},
        )
        audit_append(draft, actor, AuditAction.CREATE, comment=f"from v{version.number}")
    return draft


def principle_version_update(*, version: PrincipleVersion, actor, lock_version: int, **changes) -> PrincipleVersion:
    """Edits a draft; refused for anything submitted, and for an edit made on a stale copy."""
    manager_require(actor, "edit principles")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidVersion({name: "cannot be edited" for name in sorted(unknown)})
    with transaction.atomic():
        current = (
            PrincipleVersion.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=version.pk)
        )
        if current.status != VersionStatus.DRAFT:
            raise InvalidTransition(
                f"v{current.number} is {current.get_status_display()} and never changes: create a new draft to edit it."
            )
        if current.lock_version != lock_version:
            who = (
                (current.updated_by.get_full_name() or current.updated_by.username) if current.updated_by else "Someone"
            )
            when = timezone.localtime(current.updated_at).strftime("%H:%M")
            raise ConflictError(
                f"{who} saved this draft at {when}; reload",
                saved_by=who,
                saved_at=current.updated_at,
                changes=_changes_since(current, lock_version),
            )
        fields = version_fields_clean({**{name: getattr(current, name) for name in EDITABLE_FIELDS}, **changes})
        changed = [name for name in EDITABLE_FIELDS if fields[name] != getattr(current, name)]
        for name in EDITABLE_FIELDS:
            setattr(current, name, fields[name])
        current.updated_by = actor
        current.lock_version = F("lock_version") + 1
        current.save(update_fields=[*EDITABLE_FIELDS, "updated_by", "lock_version", "updated_at"])
        current.refresh_from_db()
        audit_append(current, actor, AuditAction.EDIT, comment=f"changed {', '.join(changed)}" if changed else "")
    return current


def _changes_since(version: PrincipleVersion, lock_version: int) -> list[PrincipleAudit]:
    """The audit rows of what moved a draft on from `lock_version`, oldest first: each edit and each rejection
    bumps it by one, so they are the newest (current - lock_version) of those rows."""
    missed = max(version.lock_version - lock_version, 0)
    rows = PrincipleAudit.objects.filter(version=version, action__in=(AuditAction.EDIT, AuditAction.REJECT))
    return list(reversed(rows.select_related("actor").order_by("-id")[:missed]))


def principle_version_draft_from_latest(*, principle: Principle, actor, **changes) -> PrincipleVersion:
    """A new draft copied from the principle's latest version with `changes` applied; nothing is stored when
    they are invalid (InvalidVersion names every bad field)."""
    manager_require(actor, "edit principles")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidVersion({name: "cannot be edited" for name in sorted(unknown)})
    with transaction.atomic():
        principle = Principle.objects.select_for_update().get(pk=principle.pk)
        latest = principle.versions.order_by("-number").first()
        copied = {name: getattr(latest, name) for name in EDITABLE_FIELDS if name != "change_note"}
        fields = version_fields_clean({**copied, "change_note": "", **changes})
        draft = PrincipleVersion.objects.create(
            principle=principle, number=latest.number + 1, author=actor, updated_by=actor, **fields
        )
        audit_append(draft, actor, AuditAction.CREATE, comment=f"from v{latest.number}")
    return draft
