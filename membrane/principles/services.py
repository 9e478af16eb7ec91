"""Every step of a principle's life: create, edit a draft, submit, approve, reject, publish, retire, roll back.

The API, the console and the admin all call these; none of them holds a rule of its own.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone

from cxcore.models import Role, Team
from cxcore.schemas import FieldError, text
from membrane.decisions.engine import ruleset_invalidate
from membrane.four_eyes import ReviewRefused, reviewer_require
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
from .schemas import version_fields_check
from .tests_runner import examples_failures_text, examples_run

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


# Paths under the principles' routes that a principle's slug would shadow (membrane/principles/urls.py).
RESERVED_SLUGS = frozenset({"new", "review", "editor"})


def _require_manager(actor, doing: str) -> None:
    if actor is None or not actor.has_role(Role.CX_MANAGER, Role.ADMIN):
        raise NotAllowed(f"Only a CX manager can {doing}.")


def author_check(actor) -> None:
    """NotAllowed unless `actor` may write principles at all (create, edit, submit): a CX manager."""
    _require_manager(actor, "write principles")


def _audit(version: PrincipleVersion, actor, action: str, *, at=None, comment: str = "") -> None:
    PrincipleAudit.objects.create(
        principle_id=version.principle_id,
        version=version,
        actor=actor,
        action=action,
        at=at or timezone.now(),
        comment=comment,
    )


def _ruleset_changed() -> None:
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
    _require_manager(actor, "create principles")
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
            _audit(version, actor, AuditAction.CREATE)
    except IntegrityError:
        # Another manager created the same slug between the check and the insert.
        raise InvalidVersion({"slug": f"a principle '{slug}' already exists"}) from None
    return version


def _next_number(principle: Principle) -> int:
    return (principle.versions.aggregate(top=Max("number"))["top"] or 0) + 1


def principle_version_draft_create(*, version: PrincipleVersion, actor, change_note: str = "") -> PrincipleVersion:
    """Editing a version that is no longer a draft makes a new draft: a copy of it with the next number."""
    _require_manager(actor, "edit principles")
    with transaction.atomic():
        principle = Principle.objects.select_for_update().get(pk=version.principle_id)
        draft = PrincipleVersion.objects.create(
            principle=principle,
            number=_next_number(principle),
            author=actor,
            updated_by=actor,
            change_note=change_note,
            **{name: getattr(version, name) for name in EDITABLE_FIELDS if name != "change_note"},
        )
        _audit(draft, actor, AuditAction.CREATE, comment=f"from v{version.number}")
    return draft


def principle_version_update(*, version: PrincipleVersion, actor, lock_version: int, **changes) -> PrincipleVersion:
    """Edits a draft; refused for anything submitted, and for an edit made on a stale copy."""
    _require_manager(actor, "edit principles")
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
        _audit(current, actor, AuditAction.EDIT, comment=f"changed {', '.join(changed)}" if changed else "")
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
    _require_manager(actor, "edit principles")
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
        _audit(draft, actor, AuditAction.CREATE, comment=f"from v{latest.number}")
    return draft


def _transition(version: PrincipleVersion, expected: str, doing: str) -> PrincipleVersion:
    current = (
        PrincipleVersion.objects.select_for_update(of=("self",))
        .select_related("author", "principle")
        .get(pk=version.pk)
    )
    if current.status != expected:
        raise InvalidTransition(f"Cannot {doing} v{current.number}: it is {current.get_status_display()}.")
    return current


def principle_version_submit(*, version: PrincipleVersion, actor) -> PrincipleVersion:
    _require_manager(actor, "submit principles for review")
    with transaction.atomic():
        current = _transition(version, VersionStatus.DRAFT, "submit")
        version_fields_clean({name: getattr(current, name) for name in EDITABLE_FIELDS})
        current.status = VersionStatus.IN_REVIEW
        current.submitted_at = timezone.now()
        current.review_comment = ""
        current.save(update_fields=["status", "submitted_at", "review_comment", "updated_at"])
        _audit(current, actor, AuditAction.SUBMIT)
    return current


def _changed_by(version: PrincipleVersion, actor) -> bool:
    """Whether the actor wrote or edited this version: its author, or the actor of any of its create or edit
    audit rows. Any manager may edit a draft, so the author alone does not say whose work a version is."""
    if version.author_id is not None and actor.pk == version.author_id:
        return True
    return PrincipleAudit.objects.filter(
        version=version, actor=actor, action__in=(AuditAction.CREATE, AuditAction.EDIT)
    ).exists()


def _require_reviewer(version: PrincipleVersion, actor, doing: str) -> None:
    _require_manager(actor, doing)
    try:
        reviewer_require(actor=actor, author=version.author, changed_it=_changed_by(version, actor))
    except ReviewRefused as refused:
        raise NotAllowed(str(refused)) from None


def principle_version_approve(*, version: PrincipleVersion, actor) -> PrincipleVersion:
    # Who may never review is told so whatever the status; the four-eyes rules need the locked row.
    _require_manager(actor, "approve principles")
    with transaction.atomic():
        current = _transition(version, VersionStatus.IN_REVIEW, "approve")
        _require_reviewer(current, actor, "approve principles")
        current.approver = actor
        current.approved_at = timezone.now()
        current.save(update_fields=["approver", "approved_at", "updated_at"])
        _audit(current, actor, AuditAction.APPROVE)
    return current


def principle_version_reject(*, version: PrincipleVersion, actor, comment: str) -> PrincipleVersion:
    """Sends a version in review back to draft, with the reviewer's comment."""
    if not comment or not comment.strip():
        raise InvalidVersion({"comment": "say what to change: a rejection needs a comment"})
    _require_manager(actor, "reject principles")
    with transaction.atomic():
        current = _transition(version, VersionStatus.IN_REVIEW, "reject")
        _require_reviewer(current, actor, "reject principles")
        current.status = VersionStatus.DRAFT
        current.review_comment = comment.strip()
        current.submitted_at = current.approved_at = current.approver = None
        current.lock_version = F("lock_version") + 1
        current.save(
            update_fields=[
                "status",
                "review_comment",
                "submitted_at",
                "approved_at",
                "approver",
                "lock_version",
                "updated_at",
            ]
        )
        current.refresh_from_db()
        _audit(current, actor, AuditAction.REJECT, comment=current.review_comment)
    return current


def _publish(current: PrincipleVersion, actor, *, now) -> None:
    results = examples_run(current)
    failures = examples_failures_text(results)
    if failures:
        failing = [result for result in results if not result.passed]
        raise ExamplesFailing(f"Cannot publish v{current.number}: {failures}.", failing=failing)
    previous = PrincipleVersion.objects.select_for_update().filter(
        principle_id=current.principle_id, status=VersionStatus.PUBLISHED
    )
    for old in previous:
        old.status = VersionStatus.SUPERSEDED
        old.ended_at = now
        old.save(update_fields=["status", "ended_at", "updated_at"])
        _audit(old, actor, AuditAction.SUPERSEDE, at=now, comment=f"by v{current.number}")
    current.status = VersionStatus.PUBLISHED
    current.published_at = now
    current.save(update_fields=["status", "published_at", "updated_at"])
    _ruleset_changed()


def principle_version_publish(*, version: PrincipleVersion, actor) -> PrincipleVersion:
    """Publishes an approved version whose examples all pass; the published one before it is superseded."""
    _require_manager(actor, "publish principles")
    with transaction.atomic():
        # Lock the principle first: two publishers of the same principle queue up here.
        Principle.objects.select_for_update().get(pk=version.principle_id)
        current = _transition(version, VersionStatus.IN_REVIEW, "publish")
        if current.approved_at is None:
            raise InvalidTransition(
                f"Cannot publish v{current.number}: a CX manager of another team must approve it first."
            )
        now = timezone.now()
        _publish(current, actor, now=now)
        _audit(current, actor, AuditAction.PUBLISH, at=now)
    return current


def principle_version_retire(*, version: PrincipleVersion, actor, comment: str = "") -> PrincipleVersion:
    _require_manager(actor, "retire principles")
    with transaction.atomic():
        Principle.objects.select_for_update().get(pk=version.principle_id)
        current = _transition(version, VersionStatus.PUBLISHED, "retire")
        current.status = VersionStatus.RETIRED
        current.ended_at = timezone.now()
        current.save(update_fields=["status", "ended_at", "updated_at"])
        _audit(current, actor, AuditAction.RETIRE, comment=comment)
        _ruleset_changed()
    return current


def principle_version_rollback(*, version: PrincipleVersion, actor, change_note: str = "") -> PrincipleVersion:
    """Publishes a copy of an older, once-published version as a new version."""
    _require_manager(actor, "roll principles back")
    if version.published_at is None:
        raise InvalidTransition(
            f"v{version.number} was never published: only a published version can be rolled back to."
        )
    if version.approver_id is not None and actor.pk == version.approver_id:
        # The copy's author would be its own approver.
        raise NotAllowed(f"You approved v{version.number}: another CX manager must roll back to it.")
    with transaction.atomic():
        principle = Principle.objects.select_for_update().get(pk=version.principle_id)
        now = timezone.now()
        copy = PrincipleVersion.objects.create(
            principle=principle,
            number=_next_number(principle),
            author=actor,
            updated_by=actor,
            approver=version.approver,
            approved_at=version.approved_at,
            submitted_at=now,
            copied_from=version,
            status=VersionStatus.IN_REVIEW,
            change_note=change_note or f"Rollback to v{version.number}",
            **{name: getattr(version, name) for name in EDITABLE_FIELDS if name != "change_note"},
        )
        _publish(copy, actor, now=now)
        _audit(copy, actor, AuditAction.ROLLBACK, at=now, comment=f"copy of v{version.number}")
    return copy
