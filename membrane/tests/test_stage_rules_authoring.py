"""The stage rules go through the principles' lifecycle: a draft, four eyes, examples that block publishing,
no lost edit, a rollback; and a draft's moves over the population are previewed set-based."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cxcore.factories import make_user
from membrane.models import EvaluationRun, StageRuleSet, StageRuleSetAudit
from membrane.models.stages import RuleSetStatus
from membrane.principles.services import ConflictError, InvalidTransition, InvalidVersion, NotAllowed
from membrane.runs.services import stages_evaluate_all
from membrane.stages import authoring
from membrane.stages.rules import published_ruleset, ruleset_compile
from membrane.stages.set_based import stage_moves
from membrane.tests.stage_helpers import ingest, ticket

pytestmark = pytest.mark.django_db

CRISIS_FIRST = [
    {"stage": "crisis", "condition": "open_tickets > 0", "note": "A problem is open."},
    {"stage": "active", "condition": "days_since_last_purchase <= 180", "note": ""},
]
EXAMPLES = [
    {"name": "open ticket", "facts": {"open_tickets": 2}, "expect_stage": "crisis"},
    {"name": "bought last week", "facts": {"open_tickets": 0, "days_since_last_purchase": 7}, "expect_stage": "active"},
]


def _rules(ruleset: StageRuleSet) -> list[tuple[str, str]]:
    return list(ruleset.rules.order_by("position").values_list("stage", "condition"))


def _edit(draft: StageRuleSet, actor, **changes) -> StageRuleSet:
    content = {"rules": CRISIS_FIRST, "default_stage": "onboarding", "examples": EXAMPLES, **changes}
    return authoring.ruleset_update(ruleset=draft, actor=actor, lock_version=draft.lock_version, **content)


def test_a_draft_reviewed_by_another_team_is_published_and_rolled_back(cx_manager, service_manager):
    v1 = StageRuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    draft = _edit(authoring.ruleset_draft_create(actor=cx_manager, change_note="Two rules"), cx_manager)
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)

    with pytest.raises(NotAllowed, match="own version"):
        authoring.ruleset_approve(ruleset=draft, actor=cx_manager)
    authoring.ruleset_approve(ruleset=draft, actor=service_manager)
    published = authoring.ruleset_publish(ruleset=draft, actor=cx_manager)

    assert published.status == RuleSetStatus.PUBLISHED
    assert published_ruleset().number == published.number
    assert [rule.stage for rule in published_ruleset().rules] == ["crisis", "active"]
    v1.refresh_from_db()
    assert v1.status == RuleSetStatus.SUPERSEDED
    assert EvaluationRun.objects.filter(kind="full").exists()  # the stored stages follow the new rules

    copy = authoring.ruleset_rollback(ruleset=v1, actor=service_manager)
    assert copy.status == RuleSetStatus.PUBLISHED and copy.copied_from_id == v1.pk
    assert _rules(copy) == _rules(v1)
    actions = list(StageRuleSetAudit.objects.filter(ruleset=draft).values_list("action", flat=True))
    assert sorted(actions) == ["approve", "create", "edit", "publish", "submit", "supersede"]  # by the rollback


def test_a_manager_of_the_authors_team_or_an_editor_of_the_draft_cannot_approve(cx_manager, service_manager):
    teammate = make_user("cleo", role="cx_manager", team="cx")
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    draft = _edit(draft, service_manager)  # sven edited it: his eyes are no longer the second pair
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)

    for reviewer in (teammate, service_manager):
        with pytest.raises(NotAllowed):
            authoring.ruleset_approve(ruleset=draft, actor=reviewer)
    agent = make_user("ada", role="agent", team="service")
    with pytest.raises(NotAllowed, match="CX manager"):
        authoring.ruleset_draft_create(actor=agent)
    assert StageRuleSet.objects.get(pk=draft.pk).approved_at is None


def test_a_failing_example_blocks_publishing_and_names_itself(cx_manager, service_manager):
    wrong = [*EXAMPLES, {"name": "dormant buyer", "facts": {"days_since_last_purchase": 400}, "expect_stage": "loyal"}]
    draft = _edit(authoring.ruleset_draft_create(actor=cx_manager), cx_manager, examples=wrong)
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)
    authoring.ruleset_approve(ruleset=draft, actor=service_manager)

    with pytest.raises(InvalidTransition, match="example 'dormant buyer' expected loyal but got onboarding"):
        authoring.ruleset_publish(ruleset=draft, actor=cx_manager)
    assert StageRuleSet.objects.get(pk=draft.pk).status == RuleSetStatus.IN_REVIEW


def test_an_edit_on_a_stale_copy_is_refused_and_changes_nothing(cx_manager, service_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    stale = StageRuleSet.objects.get(pk=draft.pk)
    _edit(draft, service_manager)

    with pytest.raises(ConflictError, match="saved this draft"):
        _edit(stale, cx_manager, default_stage="active")
    assert StageRuleSet.objects.get(pk=draft.pk).default_stage == "onboarding"


def test_bad_content_is_refused_naming_every_field_and_nothing_is_stored(cx_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    before = _rules(draft)
    bad_rules = [{"stage": "criss", "condition": "open_ticket > 0"}]
    with pytest.raises(InvalidVersion) as refused:
        _edit(draft, cx_manager, rules=bad_rules, default_stage="nowhere", examples=[{"name": "", "facts": {"x": 1}}])

    assert set(refused.value.errors) == {
        "default_stage",
        "rules[0].stage",
        "rules[0].condition",
        "examples[0].name",
        "examples[0].expect_stage",
        "examples[0].facts",
    }
    assert "open_tickets" in refused.value.errors["rules[0].condition"]  # the suggestion
    assert _rules(StageRuleSet.objects.get(pk=draft.pk)) == before


def test_only_one_version_is_open_at_a_time(cx_manager, service_manager):
    authoring.ruleset_draft_create(actor=cx_manager)
    with pytest.raises(InvalidTransition, match="already draft"):
        authoring.ruleset_draft_create(actor=service_manager)


def test_a_submitted_version_never_changes(cx_manager):
    draft = _edit(authoring.ruleset_draft_create(actor=cx_manager), cx_manager)
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)
    with pytest.raises(InvalidTransition, match="never change"):
        _edit(StageRuleSet.objects.get(pk=draft.pk), cx_manager, default_stage="active")


def test_the_preview_counts_how_a_draft_moves_the_population(cx_manager):
    now = timezone.now()
    ticket("T1", "t-1", opened=now - dt.timedelta(days=2))
    ingest("P1", "purchase", now - dt.timedelta(days=3), amount="10")
    ingest("P2", "purchase", now - dt.timedelta(days=5), amount="10")
    stages_evaluate_all(as_of=now)
    draft = _edit(
        authoring.ruleset_draft_create(actor=cx_manager),
        cx_manager,
        rules=[{"stage": "dormant", "condition": "open_tickets > 0"}, *CRISIS_FIRST[1:]],
    )

    moves = {(old, new): n for old, new, n in stage_moves(ruleset=ruleset_compile(draft), at=now)}
    assert moves == {("crisis", "dormant"): 1, ("active", "active"): 2}
    unchanged = {(old, new): n for old, new, n in stage_moves(ruleset=published_ruleset(), at=now)}
    assert unchanged == {("crisis", "crisis"): 1, ("active", "active"): 2}
