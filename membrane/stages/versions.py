"""The stage rules' versions as their page shows them: each with the steps a user may take, and the audit trail.

Which buttons to show only: the authoring services check again on every POST, and a refusal is shown as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from cxcore.models import Role
from membrane.models import StageRule, StageRuleSet, StageRuleSetAudit
from membrane.models.principles import AuditAction
from membrane.models.stages import RuleSetStatus

from .authoring import OPEN, StageExampleResult, ruleset_examples_run, ruleset_may_review


@dataclass(frozen=True)
class VersionItem:
    ruleset: StageRuleSet
    steps: tuple[str, ...]
    examples: tuple[StageExampleResult, ...] | None  # run now, for a version not yet published
    failures: str


@dataclass(frozen=True)
class AuditRow:
    at: object
    actor: str
    action: str
    number: int
    comment: str


def ruleset_steps(ruleset: StageRuleSet, user, *, open_exists: bool) -> tuple[str, ...]:
    """The steps to offer `user` on `ruleset`, by role and status, as the services would allow them."""
    if not user.has_role(Role.CX_MANAGER, Role.ADMIN):
        return ()
    status, steps = ruleset.status, []
    if status == RuleSetStatus.DRAFT:
        steps += ["edit", "submit"]
    awaiting = status == RuleSetStatus.IN_REVIEW and ruleset.approved_at is None
    if awaiting and ruleset_may_review(ruleset=ruleset, actor=user):
        steps += ["approve", "reject"]
    if status == RuleSetStatus.IN_REVIEW and ruleset.approved_at is not None:
        steps.append("publish")
    if not open_exists:
        steps.append("draft")
        if status == RuleSetStatus.SUPERSEDED and ruleset.published_at and ruleset.approver_id != user.pk:
            steps.append("rollback")
    return tuple(steps)


def _examples(ruleset: StageRuleSet) -> tuple[tuple[StageExampleResult, ...], str]:
    results = tuple(ruleset_examples_run(ruleset))
    failures = "; ".join(
        f"example '{result.name}' expected {result.expected} but got {result.actual}"
        for result in results
        if not result.passed
    )
    return results, failures


def ruleset_versions(user) -> dict:
    """Every version, newest first, with its rules and the steps for `user`; the open one; the audit trail."""
    rulesets = list(
        StageRuleSet.objects.select_related("author", "approver", "updated_by", "copied_from").prefetch_related(
            Prefetch("rules", queryset=StageRule.objects.order_by("position"))
        )
    )
    open_version = next((ruleset for ruleset in rulesets if ruleset.status in OPEN), None)
    items = []
    for ruleset in rulesets:
        results, failures = _examples(ruleset) if ruleset.status in OPEN else (None, "")
        steps = ruleset_steps(ruleset, user, open_exists=open_version is not None)
        items.append(VersionItem(ruleset, steps, results, failures))
    audit = [
        AuditRow(
            at=entry.at,
            actor=(entry.actor.get_full_name() or entry.actor.username) if entry.actor else "the product",
            action=AuditAction(entry.action).label if entry.action in AuditAction.values else entry.action,
            number=entry.ruleset.number,
            comment=entry.comment,
        )
        for entry in StageRuleSetAudit.objects.select_related("actor", "ruleset")[:200]
    ]
    return {"versions": items, "open_version": open_version, "audit": audit}


def open_ruleset() -> StageRuleSet | None:
    """The version being written or reviewed, if any: the Stages page links to it."""
    return StageRuleSet.objects.filter(status__in=OPEN).select_related("author").first()
