"""Every step of the stage rules' life: a draft, its edits, submit, approve, reject, publish, roll back.

The stage rules are one ordered list, versioned as a whole (StageRuleSet); a version goes through the
principles' lifecycle (DESIGN.md sections 6 and 7): draft -> in review -> published -> superseded, a
rejection back to draft with a comment, approval by a CX manager of another team who did not change it,
and examples that block publishing when they fail. At most one version is open (a draft or in review)
at a time: the stage rules are one list, and two drafts of it would be two rival futures.
Publishing queues a full run, so every customer's stored stage follows the new rules from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from cxcore.models import Role
from membrane.catalogue import fact_types_for, facts_for
from membrane.expressions import ExpressionError, check
from membrane.four_eyes import ReviewRefused, reviewer_require
from membrane.models import StageDefinition, StageRule, StageRuleSet, StageRuleSetAudit
from membrane.models.principles import AuditAction
from membrane.models.stages import RuleSetStatus
from membrane.principles.errors import ConflictError, InvalidTransition, InvalidVersion, NotAllowed
from membrane.principles.tests_runner import fact_values_parser
from membrane.runs.services import evaluation_run_queue

from .rules import CompiledRuleSet, rules_compile

OPEN = (RuleSetStatus.DRAFT, RuleSetStatus.IN_REVIEW)
CONTENT_FIELDS = ("default_stage", "examples", "change_note")
REVIEW_FIELDS = ("submitted_at", "approved_at", "approver")
MAX_RULES = 50


@dataclass(frozen=True)
class StageExampleResult:
    name: str
    passed: bool
    expected: str
    actual: str


def _require_manager(actor, doing: str) -> None:
    if actor is None or not actor.has_role(Role.CX_MANAGER, Role.ADMIN):
        raise NotAllowed(f"Only a CX manager can {doing}.")


def _audit(ruleset: StageRuleSet, actor, action: str, *, at=None, comment: str = "") -> None:
    StageRuleSetAudit.objects.create(
        ruleset=ruleset, actor=actor, action=action, at=at or timezone.now(), comment=comment
    )


def _rules_clean(rules: Any, stages: set[str], errors: dict[str, str]) -> list[tuple[int, str, str, str]]:
    """(position, stage, condition, note) of each rule, every problem named by its path in `errors`."""
    if not isinstance(rules, list) or not rules:
        errors["rules"] = "give at least one rule: a list of {stage, condition, note}"
        return []
    if len(rules) > MAX_RULES:
        errors["rules"] = f"at most {MAX_RULES} rules"
        return []
    facts = fact_types_for("stage_rule")
    cleaned = []
    for index, rule in enumerate(rules):
        where = f"rules[{index}]"
        if not isinstance(rule, dict):
            errors[where] = "must be an object {stage, condition, note}"
            continue
        stage, condition, note = rule.get("stage"), rule.get("condition"), rule.get("note") or ""
        if stage not in stages:
            errors[f"{where}.stage"] = f"unknown stage {stage!r}: one of {', '.join(sorted(stages))}"
        if not isinstance(condition, str) or not condition.strip():
            errors[f"{where}.condition"] = "a condition is required"
        else:
            try:
                check(condition, facts)
            except ExpressionError as error:
                errors[f"{where}.condition"] = str(error)
        if not isinstance(note, str):
            errors[f"{where}.note"] = "must be text"
        cleaned.append((index + 1, stage, condition, note))
    return cleaned


def _examples_clean(examples: Any, stages: set[str], errors: dict[str, str]) -> list[dict]:
    if not isinstance(examples, list):
        errors["examples"] = "must be a list of {name, facts, expect_stage}"
        return []
    parse_facts = fact_values_parser(facts_for("stage_rule"))
    for index, example in enumerate(examples):
        where = f"examples[{index}]"
        if not isinstance(example, dict):
            errors[where] = "must be an object {name, facts, expect_stage}"
            continue
        if not isinstance(example.get("name"), str) or not example["name"].strip():
            errors[f"{where}.name"] = "give the example a name"
        if example.get("expect_stage") not in stages:
            errors[f"{where}.expect_stage"] = f"must be one of {', '.join(sorted(stages))}"
        try:
            parse_facts(example.get("facts", {}))
        except Exception as error:  # FieldError: the parser's message names the fact
            errors[f"{where}.facts"] = str(error)
    return examples


def ruleset_content_clean(*, rules: Any, default_stage: Any, examples: Any) -> dict[str, Any]:
    """A version's content checked whole; raises InvalidVersion naming every bad field by its path."""
    stages = set(StageDefinition.objects.values_list("key", flat=True))
    errors: dict[str, str] = {}
    if default_stage not in stages:
        errors["default_stage"] = f"must be one of {', '.join(sorted(stages))}"
    cleaned_rules = _rules_clean(rules, stages, errors)
    cleaned_examples = _examples_clean(examples, stages, errors)
    if errors:
        raise InvalidVersion(errors)
    return {"rules": cleaned_rules, "default_stage": default_stage, "examples": cleaned_examples}


def examples_run_for(*, compiled: CompiledRuleSet, examples: list[dict]) -> list[StageExampleResult]:
    """Each example's facts (`stage`: the stage held before) through the rules: first match wins."""
    names = compiled.facts_read | {"stage", "previous_stage", "days_in_stage"}
    results = []
    for example in examples:
        row = dict.fromkeys(names)
        row.update(example.get("facts", {}))
        actual = compiled.stage_for(row)
        expected = example.get("expect_stage", "")
        results.append(StageExampleResult(example.get("name", ""), actual == expected, expected, actual))
    return results


def ruleset_examples_run(ruleset: StageRuleSet) -> list[StageExampleResult]:
    rules = list(ruleset.rules.order_by("position").values_list("position", "stage", "condition"))
    compiled = rules_compile(number=ruleset.number, default_stage=ruleset.default_stage, rules=rules)
    return examples_run_for(compiled=compiled, examples=ruleset.examples)


def _rules_write(ruleset: StageRuleSet, rules: list[tuple[int, str, str, str]]) -> None:
    ruleset.rules.all().delete()
    StageRule.objects.bulk_create(
        StageRule(ruleset=ruleset, position=position, stage=stage, condition=condition, note=note)
        for position, stage, condition, note in rules
    )


def _rules_of(ruleset: StageRuleSet) -> list[tuple[int, str, str, str]]:
    return list(ruleset.rules.order_by("position").values_list("position", "stage", "condition", "note"))


def _locked_open_version() -> StageRuleSet | None:
    return StageRuleSet.objects.select_for_update().filter(status__in=OPEN).first()


def ruleset_draft_create(*, actor, source: StageRuleSet | None = None, change_note: str = "") -> StageRuleSet:
    """A new draft copied from `source` (default: the published version), with the next number."""
    _require_manager(actor, "edit the stage rules")
    with transaction.atomic():
        # Every version number is taken under this lock: two managers starting drafts queue up here.
        StageRuleSet.objects.select_for_update().filter(status=RuleSetStatus.PUBLISHED).first()
        open_version = _locked_open_version()
        if open_version is not None:
            raise InvalidTransition(
                f"Stage rules v{open_version.number} are already {open_version.get_status_display()}:"
                " edit or finish that version first."
            )
        source = source or StageRuleSet.objects.filter(status=RuleSetStatus.PUBLISHED).first()
        if source is None:
            raise InvalidTransition("No stage rules are published to start a draft from.")
        number = (StageRuleSet.objects.aggregate(top=Max("number"))["top"] or 0) + 1
        draft = StageRuleSet.objects.create(
            number=number,
            default_stage=source.default_stage,
            examples=source.examples,
            author=actor,
            updated_by=actor,
            change_note=change_note,
        )
        _rules_write(draft, _rules_of(source))
        _audit(draft, actor, AuditAction.CREATE, comment=f"from v{source.number}")
    return draft


def _conflict(current: StageRuleSet, *, since_lock_version: int):
    who = current.updated_by.get_full_name() or current.updated_by.username if current.updated_by else "Someone"
    # Each edit or rejection bumped lock_version once: the newest of those audit rows are what changed since.
    changes = list(
        current.audit.filter(action__in=(AuditAction.EDIT, AuditAction.REJECT)).select_related("actor")[
            : max(current.lock_version - since_lock_version, 0)
        ]
    )
    when = timezone.localtime(current.updated_at).strftime("%H:%M")
    raise ConflictError(
        f"{who} saved this draft at {when}; reload to see their changes",
        saved_by=who,
        saved_at=current.updated_at,
        changes=changes,
    )


def ruleset_update(
    *, ruleset: StageRuleSet, actor, lock_version: int, rules, default_stage, examples, change_note: str = ""
) -> StageRuleSet:
    """Replaces a draft's content; refused once submitted, and for an edit made on a stale copy."""
    _require_manager(actor, "edit the stage rules")
    content = ruleset_content_clean(rules=rules, default_stage=default_stage, examples=examples)
    with transaction.atomic():
        current = StageRuleSet.objects.select_for_update(of=("self",)).select_related("updated_by").get(pk=ruleset.pk)
        if current.status != RuleSetStatus.DRAFT:
            raise InvalidTransition(
                f"Stage rules v{current.number} are {current.get_status_display()} and never change:"
                " start a new draft to edit them."
            )
        if current.lock_version != lock_version:
            _conflict(current, since_lock_version=lock_version)
        _rules_write(current, content["rules"])
        current.default_stage = content["default_stage"]
        current.examples = content["examples"]
        current.change_note = change_note
        current.updated_by = actor
        current.lock_version = F("lock_version") + 1
        current.save(update_fields=[*CONTENT_FIELDS, "updated_by", "lock_version", "updated_at"])
        current.refresh_from_db()
        _audit(current, actor, AuditAction.EDIT)
    return current


def _transition(ruleset: StageRuleSet, expected: str, doing: str) -> StageRuleSet:
    current = StageRuleSet.objects.select_for_update(of=("self",)).select_related("author").get(pk=ruleset.pk)
    if current.status != expected:
        status = current.get_status_display()
        raise InvalidTransition(f"Cannot {doing} stage rules v{current.number}: they are {status}.")
    return current


def ruleset_submit(*, ruleset: StageRuleSet, actor) -> StageRuleSet:
    _require_manager(actor, "submit the stage rules for review")
    with transaction.atomic():
        current = _transition(ruleset, RuleSetStatus.DRAFT, "submit")
        rules = list(current.rules.order_by("position").values("stage", "condition", "note"))
        ruleset_content_clean(rules=rules, default_stage=current.default_stage, examples=current.examples)
        current.status = RuleSetStatus.IN_REVIEW
        current.submitted_at = timezone.now()
        current.review_comment = ""
        current.save(update_fields=["status", "submitted_at", "review_comment", "updated_at"])
        _audit(current, actor, AuditAction.SUBMIT)
    return current


def _require_reviewer(ruleset: StageRuleSet, actor, doing: str) -> None:
    _require_manager(actor, doing)
    changed_it = (ruleset.author_id is not None and actor.pk == ruleset.author_id) or StageRuleSetAudit.objects.filter(
        ruleset=ruleset, actor=actor, action__in=(AuditAction.CREATE, AuditAction.EDIT)
    ).exists()
    try:
        reviewer_require(actor=actor, author=ruleset.author, changed_it=changed_it)
    except ReviewRefused as refused:
        raise NotAllowed(str(refused)) from None


def ruleset_may_review(*, ruleset: StageRuleSet, actor) -> bool:
    try:
        _require_reviewer(ruleset, actor, "review the stage rules")
    except NotAllowed:
        return False
    return True


def ruleset_approve(*, ruleset: StageRuleSet, actor) -> StageRuleSet:
    with transaction.atomic():
        current = _transition(ruleset, RuleSetStatus.IN_REVIEW, "approve")
        _require_reviewer(current, actor, "approve the stage rules")
        current.approver = actor
        current.approved_at = timezone.now()
        current.save(update_fields=["approver", "approved_at", "updated_at"])
        _audit(current, actor, AuditAction.APPROVE)
    return current


def ruleset_reject(*, ruleset: StageRuleSet, actor, comment: str) -> StageRuleSet:
    if not comment or not comment.strip():
        raise InvalidVersion({"comment": "say what to change: a rejection needs a comment"})
    with transaction.atomic():
        current = _transition(ruleset, RuleSetStatus.IN_REVIEW, "reject")
        _require_reviewer(current, actor, "reject the stage rules")
        current.status = RuleSetStatus.DRAFT
        current.review_comment = comment.strip()
        current.submitted_at = current.approved_at = current.approver = None
        current.lock_version = F("lock_version") + 1
        current.save(update_fields=[*REVIEW_FIELDS, "status", "review_comment", "lock_version", "updated_at"])
        current.refresh_from_db()
        _audit(current, actor, AuditAction.REJECT, comment=current.review_comment)
    return current


def _publish(current: StageRuleSet, actor, *, now) -> None:
    failures = [result for result in ruleset_examples_run(current) if not result.passed]
    if failures:
        named = "; ".join(f"example '{r.name}' expected {r.expected} but got {r.actual}" for r in failures)
        raise InvalidTransition(f"Cannot publish stage rules v{current.number}: {named}.")
    for old in StageRuleSet.objects.select_for_update().filter(status=RuleSetStatus.PUBLISHED):
        old.status = RuleSetStatus.SUPERSEDED
        old.ended_at = now
        old.save(update_fields=["status", "ended_at", "updated_at"])
        _audit(old, actor, AuditAction.SUPERSEDE, at=now, comment=f"by v{current.number}")
    current.status = RuleSetStatus.PUBLISHED
    current.published_at = now
    current.save(update_fields=["status", "published_at", "updated_at"])
    # The compiled rules are keyed by the published version's identity, which just changed: every
    # process reads the new one at its next evaluation. The stored stages follow at the full run.
    evaluation_run_queue(user=actor)


def ruleset_publish(*, ruleset: StageRuleSet, actor) -> StageRuleSet:
    """Publishes an approved version whose examples all pass; the published one before it is superseded."""
    _require_manager(actor, "publish the stage rules")
    with transaction.atomic():
        current = _transition(ruleset, RuleSetStatus.IN_REVIEW, "publish")
        if current.approved_at is None:
            raise InvalidTransition(
                f"Cannot publish stage rules v{current.number}: a CX manager of another team must approve them first."
            )
        now = timezone.now()
        _publish(current, actor, now=now)
        _audit(current, actor, AuditAction.PUBLISH, at=now)
    return current


def ruleset_rollback(*, ruleset: StageRuleSet, actor, change_note: str = "") -> StageRuleSet:
    """Publishes a copy of an older, once-published version as a new version."""
    _require_manager(actor, "roll the stage rules back")
    if ruleset.published_at is None:
        raise InvalidTransition(
            f"Stage rules v{ruleset.number} were never published: only a published version can be rolled back to."
        )
    if ruleset.status == RuleSetStatus.PUBLISHED:
        raise InvalidTransition(f"Stage rules v{ruleset.number} are the published version already.")
    if ruleset.approver_id is not None and actor.pk == ruleset.approver_id:
        raise NotAllowed(f"You approved v{ruleset.number}: another CX manager must roll back to it.")
    with transaction.atomic():
        if _locked_open_version() is not None:
            raise InvalidTransition("A version of the stage rules is open (draft or in review): finish it first.")
        now = timezone.now()
        copy = StageRuleSet.objects.create(
            number=(StageRuleSet.objects.aggregate(top=Max("number"))["top"] or 0) + 1,
            default_stage=ruleset.default_stage,
            examples=ruleset.examples,
            author=actor,
            updated_by=actor,
            approver=ruleset.approver,
            approved_at=ruleset.approved_at,
            submitted_at=now,
            copied_from=ruleset,
            status=RuleSetStatus.IN_REVIEW,
            change_note=change_note or f"Rollback to v{ruleset.number}",
        )
        _rules_write(copy, _rules_of(ruleset))
        _publish(copy, actor, now=now)
        _audit(copy, actor, AuditAction.ROLLBACK, at=now, comment=f"copy of v{ruleset.number}")
    return copy
