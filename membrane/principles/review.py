"""A principle version's review and publication: submit, approve or reject (four eyes), publish (its examples
must pass; the published one before it is superseded), retire, roll back to a once-published version. Each
step locks the version and checks its status first, so two managers acting at once cannot both move it."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from membrane.four_eyes import ReviewRefused, reviewer_require
from membrane.models.principles import AuditAction, Principle, PrincipleAudit, PrincipleVersion, VersionStatus

from .errors import ExamplesFailing, InvalidTransition, InvalidVersion, NotAllowed
from .tests_runner import examples_failures_text, examples_run
from .versions import EDITABLE_FIELDS, audit_append, manager_require, next_number, ruleset_changed, version_fields_clean


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
    manager_require(actor, "submit principles for review")
    with transaction.atomic():
        current = _transition(version, VersionStatus.DRAFT, "submit")
        version_fields_clean({name: getattr(current, name) for name in EDITABLE_FIELDS})
        current.status = VersionStatus.IN_REVIEW
        current.submitted_at = timezone.now()
        current.review_comment = ""
        current.save(update_fields=["status", "submitted_at", "review_comment", "updated_at"])
        audit_append(current, actor, AuditAction.SUBMIT)
    return current


def _changed_by(version: PrincipleVersion, actor) -> bool:
    """Whether the actor wrote or edited this version: its author, or the actor of any of its create or edit
    audit rows. Any manager may edit a draft, so the author alone does not say whose work a version is."""
    if version.author_id is not None and actor.pk == version.author_id:
        return True
    return PrincipleAudit.objects.filter(
        version=version, actor=actor, action__in=(AuditAction.CREATE, AuditAction.EDIT)
    ).exists()


def reviewer_check(version: PrincipleVersion, actor, doing: str) -> None:
    manager_require(actor, doing)
    try:
        reviewer_require(actor=actor, author=version.author, changed_it=_changed_by(version, actor))
    except ReviewRefused as refused:
        raise NotAllowed(str(refused)) from None


def principle_version_approve(*, version: PrincipleVersion, actor) -> PrincipleVersion:
    # Who may never review is told so whatever the status; the four-eyes rules need the locked row.
    manager_require(actor, "approve principles")
    with transaction.atomic():
        current = _transition(version, VersionStatus.IN_REVIEW, "approve")
        reviewer_check(current, actor, "approve principles")
        current.approver = actor
        current.approved_at = timezone.now()
        current.save(update_fields=["approver", "approved_at", "updated_at"])
        audit_append(current, actor, AuditAction.APPROVE)
    return current


def principle_version_reject(*, version: PrincipleVersion, actor, comment: str) -> PrincipleVersion:
    """Sends a version in review back to draft, with the reviewer's comment."""
    if not comment or not comment.strip():
        raise InvalidVersion({"comment": "say what to change: a rejection needs a comment"})
    manager_require(actor, "reject principles")
    with transaction.atomic():
        current = _transition(version, VersionStatus.IN_REVIEW, "reject")
        reviewer_check(current, actor, "reject principles")
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
        audit_append(current, actor, AuditAction.REJECT, comment=current.review_comment)
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
        audit_append(old, actor, AuditAction.SUPERSEDE, at=now, comment=f"by v{current.number}")
    current.status = VersionStatus.PUBLISHED
    current.published_at = now
    current.save(update_fields=["status", "published_at", "updated_at"])
    ruleset_changed()


def principle_version_publish(*, version: PrincipleVersion, actor) -> PrincipleVersion:
    """Publishes an approved version whose examples all pass; the published one before it is superseded."""
    manager_require(actor, "publish principles")
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
        audit_append(current, actor, AuditAction.PUBLISH, at=now)
    return current


def principle_version_retire(*, version: PrincipleVersion, actor, comment: str = "") -> PrincipleVersion:
    manager_require(actor, "retire principles")
    with transaction.atomic():
        Principle.objects.select_for_update().get(pk=version.principle_id)
        current = _transition(version, VersionStatus.PUBLISHED, "retire")
        current.status = VersionStatus.RETIRED
        current.ended_at = timezone.now()
        current.save(update_fields=["status", "ended_at", "updated_at"])
        audit_append(current, actor, AuditAction.RETIRE, comment=comment)
        ruleset_changed()
    return current


def principle_version_rollback(*, version: PrincipleVersion, actor, change_note: str = "") -> PrincipleVersion:
    """Publishes a copy of an older, once-published version as a new version."""
    manager_require(actor, "roll principles back")
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
            number=next_number(principle),
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
        audit_append(copy, actor, AuditAction.ROLLBACK, at=now, comment=f"copy of v{version.number}")
    return copy
