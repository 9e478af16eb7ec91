"""The stage rules' pages: every workflow step through the versions page, the editor's save, its live checks and
moves preview; refusals shown as such with nothing changed; CX managers only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import make_user
from membrane.models import StageRuleSet, StageRuleSetAudit
from membrane.models.stages import RuleSetStatus
from membrane.runs.services import stages_evaluate_all
from membrane.stages import authoring
from membrane.stages.rules import published_ruleset
from membrane.tests.stage_helpers import ingest, ticket

pytestmark = pytest.mark.django_db

RULES = [("crisis", "open_tickets > 0", "A problem is open."), ("active", "days_since_last_purchase <= 180", "")]
STAGE_ROW = re.compile(r'data-testid="moves-stage-([a-z_]+)" data-now="(\d+)" data-draft="(\d+)"')
MOVE = re.compile(r'data-testid="move-([a-z_]+)-([a-z_]+)" data-customers="(\d+)"')
EXAMPLES = [
    ("open ticket", "open_tickets = 2", "crisis"),
    ("bought last week", "days_since_last_purchase = 7", "active"),
]


def _form(ruleset: StageRuleSet, *, rules=RULES, examples=EXAMPLES, default="onboarding", note="Two rules") -> dict:
    return {
        "lock_version": ruleset.lock_version,
        "rule_key": [f"r{i}" for i in range(len(rules))],
        "rule_stage": [stage for stage, _, _ in rules],
        "rule_condition": [condition for _, condition, _ in rules],
        "rule_note": [rule_note for _, _, rule_note in rules],
        "ex_key": [f"e{i}" for i in range(len(examples))],
        "ex_name": [name for name, _, _ in examples],
        "ex_facts": [facts for _, facts, _ in examples],
        "ex_expect": [expect for _, _, expect in examples],
        "default_stage": default,
        "change_note": note,
    }


def _step(client, ruleset: StageRuleSet, step: str, **data):
    return client.post(reverse("stage-rules-step", args=[ruleset.number, step]), data)


def _state(ruleset: StageRuleSet) -> tuple:
    ruleset.refresh_from_db()
    rules = list(ruleset.rules.order_by("position").values_list("stage", "condition"))
    return ruleset.status, ruleset.lock_version, rules, ruleset.examples, ruleset.approved_at, ruleset.audit.count()


def test_a_draft_is_written_reviewed_published_and_rolled_back_through_the_pages(client, cx_manager, service_manager):
    v1 = StageRuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    client.force_login(cx_manager)
    page = client.get(reverse("stage-rules"))
    assert page.status_code == 200 and b'data-testid="draft-1"' in page.content

    response = _step(client, v1, "draft", change_note="Crisis first")
    draft = StageRuleSet.objects.get(status=RuleSetStatus.DRAFT)
    assert response.status_code == 302 and response.url == reverse("stage-rules-edit", args=[draft.number])
    assert client.get(response.url).status_code == 200

    response = client.post(reverse("stage-rules-edit", args=[draft.number]), _form(draft))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert list(draft.rules.values_list("stage", "condition", "note")) == list(RULES)
    assert [example["facts"] for example in draft.examples] == [{"open_tickets": 2}, {"days_since_last_purchase": 7}]

    assert _step(client, draft, "submit").status_code == 302
    before = _state(draft)
    refused = _step(client, draft, "approve")
    assert refused.status_code == 403 and b'data-testid="refused"' in refused.content
    assert _state(draft) == before

    client.force_login(service_manager)
    page = client.get(reverse("stage-rules"))
    assert f'data-testid="approve-{draft.number}"'.encode() in page.content
    assert _step(client, draft, "approve").status_code == 302
    client.force_login(cx_manager)
    assert _step(client, draft, "publish").status_code == 302
    assert published_ruleset().number == draft.number

    client.force_login(service_manager)
    response = _step(client, v1, "rollback", change_note="Back to the seeded rules")
    assert response.status_code == 302
    copy = StageRuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    assert copy.copied_from_id == v1.pk and copy.change_note == "Back to the seeded rules"
    page = client.get(reverse("stage-rules"))
    for action in (b"submitted for review", b"approved", b"published", b"rolled back", b"superseded"):
        assert action in page.content


def test_a_rejection_needs_a_comment_and_sends_the_draft_back_with_it(client, cx_manager, service_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)
    client.force_login(service_manager)
    before = _state(draft)
    response = _step(client, draft, "reject", comment="  ")
    assert response.status_code == 400 and b"needs a comment" in response.content
    assert _state(draft) == before

    assert _step(client, draft, "reject", comment="Say why crisis comes first").status_code == 302
    draft.refresh_from_db()
    assert draft.status == RuleSetStatus.DRAFT and draft.review_comment == "Say why crisis comes first"
    client.force_login(cx_manager)
    editor = client.get(reverse("stage-rules-edit", args=[draft.number]))
    assert b"Say why crisis comes first" in editor.content


def test_refused_steps_change_nothing(client, cx_manager, service_manager):
    v1 = StageRuleSet.objects.get(status=RuleSetStatus.PUBLISHED)
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    client.force_login(cx_manager)
    counts = StageRuleSet.objects.count(), StageRuleSetAudit.objects.count()

    second = _step(client, v1, "draft")  # one version open at a time
    assert second.status_code == 409 and b"already draft" in second.content
    assert _step(client, draft, "publish").status_code == 409  # not approved, not even in review
    assert _step(client, draft, "approve").status_code == 409
    assert _step(client, v1, "rollback").status_code == 409  # v1 is the published version already
    assert (StageRuleSet.objects.count(), StageRuleSetAudit.objects.count()) == counts
    assert client.post(reverse("stage-rules-step", args=[999, "submit"])).status_code == 404


def test_a_failing_example_disables_publish_and_names_itself(client, cx_manager, service_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    client.force_login(cx_manager)
    wrong = [("open ticket", "open_tickets = 2", "active")]
    saved = client.post(reverse("stage-rules-edit", args=[draft.number]), _form(draft, examples=wrong))
    assert saved.status_code == 302
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)
    authoring.ruleset_approve(ruleset=draft, actor=service_manager)

    page = client.get(reverse("stage-rules")).content.decode()
    assert f'data-testid="publish-{draft.number}" disabled' in page
    assert "example &#x27;open ticket&#x27; expected active but got crisis" in page
    response = _step(client, draft, "publish")
    assert response.status_code == 409 and b"open ticket" in response.content
    draft.refresh_from_db()
    assert draft.status == RuleSetStatus.IN_REVIEW


def test_bad_input_in_the_editor_is_shown_on_its_row_and_nothing_is_stored(client, cx_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    client.force_login(cx_manager)
    before = _state(draft)
    url = reverse("stage-rules-edit", args=[draft.number])

    typo = [("crisis", "open_tikets > 0", ""), ("nirvana", "true", "")]
    response = client.post(url, _form(draft, rules=typo))
    assert response.status_code == 400
    assert b"open_tickets" in response.content  # the suggestion for the typo
    assert b"unknown stage" in response.content
    unreadable = client.post(url, _form(draft, examples=[("broken", "open_tickets 2", "crisis")]))
    assert unreadable.status_code == 400 and b"write facts as name = value" in unreadable.content
    assert client.post(url, _form(draft, rules=[])).status_code == 400
    assert _state(draft) == before


def test_an_edit_on_a_stale_copy_says_who_saved_and_what_changed(client, cx_manager, service_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    url = reverse("stage-rules-edit", args=[draft.number])
    client.force_login(cx_manager)
    loaded = client.get(url).context["editor"].loaded
    client.force_login(service_manager)
    assert client.post(url, {**_form(draft, default="dormant"), "loaded": loaded}).status_code == 302

    client.force_login(cx_manager)
    stale = {**_form(draft, note="mine"), "loaded": loaded}
    response = client.post(url, stale)
    assert response.status_code == 409
    body = response.content.decode()
    assert 'data-testid="conflict"' in body and "sven" in body and "default stage" in body
    draft.refresh_from_db()
    assert draft.default_stage == "dormant" and draft.change_note == "Two rules"

    overwrite = client.post(url, {**stale, "overwrite": draft.lock_version})
    assert overwrite.status_code == 302
    draft.refresh_from_db()
    assert draft.default_stage == "onboarding" and draft.change_note == "mine"


def test_a_version_that_left_draft_is_shown_read_only_and_an_edit_of_it_is_refused(client, cx_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    authoring.ruleset_submit(ruleset=draft, actor=cx_manager)
    client.force_login(cx_manager)
    url = reverse("stage-rules-edit", args=[draft.number])
    page = client.get(url).content.decode()
    assert 'data-testid="not-a-draft"' in page and '<fieldset class="editor-fields" disabled>' in page
    before = _state(draft)
    response = client.post(url, _form(draft))
    assert response.status_code == 409 and "never change" in response.content.decode()
    assert _state(draft) == before
    assert client.get(reverse("stage-rules-moves"), {"number": "x"}).status_code == 404
    assert client.get(reverse("stage-rules-moves"), {"number": 999}).status_code == 404


def test_the_live_check_underlines_a_typo_and_runs_the_examples_as_typed(client, cx_manager):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    client.force_login(cx_manager)
    check = reverse("stage-rules-check")

    typo = client.post(check, _form(draft, rules=[("crisis", "open_tikets > 0", "")])).content.decode()
    assert '<mark class="cond-error">open_tikets</mark>' in typo
    assert 'data-replacement="open_tickets"' in typo
    assert "Publishing is blocked: write or fix the condition of rule 1" in typo

    failing = [("open ticket", "open_tickets = 2", "active"), ("wrong fact", "open_tikets = 1", "crisis")]
    live = client.post(check, _form(draft, examples=failing)).content.decode()
    assert "expected active, got crisis" in live
    assert "unknown fact &#x27;open_tikets&#x27;" in live
    assert "Publishing is blocked by 2 examples" in live
    passing = client.post(check, _form(draft)).content.decode()
    assert "All 2 examples pass." in passing
    assert _state(draft)[1] == draft.lock_version  # nothing stored


def test_the_moves_preview_counts_customers_now_and_under_the_rules_as_typed(client, cx_manager):
    now = timezone.now()
    ticket("T1", "t-1", opened=now - dt.timedelta(days=2))
    ingest("P1", "purchase", now - dt.timedelta(days=3), amount="10")
    ingest("P2", "purchase", now - dt.timedelta(days=5), amount="10")
    stages_evaluate_all(as_of=now)
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    client.force_login(cx_manager)

    dormant_first = [("dormant", "open_tickets > 0", ""), ("active", "days_since_last_purchase <= 180", "")]
    body = client.post(reverse("stage-rules-moves"), _form(draft, rules=dormant_first)).content.decode()
    counts = {key: (int(now), int(draft)) for key, now, draft in STAGE_ROW.findall(body)}
    assert counts["crisis"] == (1, 0) and counts["active"] == (2, 2)
    assert counts["dormant"][1] == counts["dormant"][0] + 1
    assert MOVE.findall(body) == [("crisis", "dormant", "1")]
    assert "<strong>1</strong> would change stage" in body and 'data-chart="stacked"' in body

    broken = client.post(reverse("stage-rules-moves"), _form(draft, rules=[("crisis", "open_tikets > 0", "")]))
    assert b"No preview while a rule has errors" in broken.content
    stored = client.get(reverse("stage-rules-moves"), {"number": draft.number}).content.decode()
    assert MOVE.findall(stored) == [] and "nobody would change stage" in stored  # still a copy of the published rules


def test_only_cx_managers_reach_the_stage_rules_pages(client, cx_manager, agent, outsider):
    draft = authoring.ruleset_draft_create(actor=cx_manager)
    urls = [
        ("get", reverse("stage-rules")),
        ("get", reverse("stage-rules-edit", args=[draft.number])),
        ("post", reverse("stage-rules-edit", args=[draft.number])),
        ("post", reverse("stage-rules-check")),
        ("post", reverse("stage-rules-moves")),
        ("post", reverse("stage-rules-step", args=[draft.number, "submit"])),
    ]
    before = _state(draft)
    for user, expected in ((agent, 403), (outsider, 403)):
        client.force_login(user)
        for method, url in urls:
            assert getattr(client, method)(url).status_code == expected, (user.username, url)
    assert _state(draft) == before
    client.force_login(agent)
    stages = client.get(reverse("stages"))
    assert stages.status_code == 200 and b"stage-rules-versions" not in stages.content
    client.force_login(cx_manager)
    stages = client.get(reverse("stages"))
    assert reverse("stage-rules-edit", args=[draft.number]).encode() in stages.content
    client.logout()
    assert client.get(reverse("stage-rules")).status_code == 302


def test_an_admin_can_also_edit(client):
    admin = make_user("ada", role="admin", team="cx")
    client.force_login(admin)
    assert client.get(reverse("stage-rules")).status_code == 200


def test_the_versions_page_reads_in_as_many_queries_whatever_the_number_of_versions(
    client, cx_manager, service_manager
):
    def publish_one() -> None:
        draft = authoring.ruleset_draft_create(actor=cx_manager)
        authoring.ruleset_submit(ruleset=draft, actor=cx_manager)
        authoring.ruleset_approve(ruleset=draft, actor=service_manager)
        authoring.ruleset_publish(ruleset=draft, actor=cx_manager)

    client.force_login(service_manager)
    publish_one()
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("stage-rules")).status_code == 200
    for _ in range(3):
        publish_one()
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("stage-rules"))
    assert b'data-testid="version-5"' in page.content
    assert len(many) == len(few)
