"""The principle page's workflow: each step a POST calling the service, buttons by role and status, and a
refusal shown on the page that changes nothing."""

from __future__ import annotations

import pytest

from cxcore.factories import make_user
from membrane.models.principles import PrincipleAudit, PrincipleVersion, VersionStatus
from membrane.principles import services
from membrane.tests.principles_support import draft, publish


def _step(client, version, step, **data):
    return client.post(f"/principles/{version.principle.slug}/v{version.number}/{step}/", data)


def _state(version) -> tuple:
    """Everything a step could change about a principle: its versions' state and its audit trail."""
    versions = PrincipleVersion.objects.filter(principle_id=version.principle_id).order_by("number")
    return (
        list(versions.values_list("number", "status", "approver_id", "review_comment", "lock_version")),
        PrincipleAudit.objects.filter(principle_id=version.principle_id).count(),
    )


@pytest.fixture
def in_review(cx_manager):
    return services.principle_version_submit(version=draft(cx_manager, slug="quiet-evenings"), actor=cx_manager)


def test_the_whole_flow_through_the_page(client, cx_manager, service_manager):
    version = draft(cx_manager, slug="quiet-evenings")
    client.force_login(cx_manager)
    response = _step(client, version, "submit")
    assert response.status_code == 302 and response["Location"] == "/principles/quiet-evenings/#v1"
    client.force_login(service_manager)
    assert _step(client, version, "approve").status_code == 302
    client.force_login(cx_manager)
    page = client.get(_step(client, version, "publish")["Location"]).content.decode()
    assert "v1 is published" in page
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED and version.approver == service_manager
    assert [a.get_action_display() for a in PrincipleAudit.objects.filter(version=version).order_by("id")[1:]] == [
        "submitted for review",
        "approved",
        "published",
    ]
    assert _step(client, version, "retire", comment="No longer needed").status_code == 302
    version.refresh_from_db()
    assert version.status == VersionStatus.RETIRED
    assert "No longer needed" in client.get("/principles/quiet-evenings/").content.decode()


def test_reject_needs_a_comment_and_sends_back_to_draft(client, service_manager, in_review):
    client.force_login(service_manager)
    before = _state(in_review)
    response = _step(client, in_review, "reject", comment="  ")
    assert response.status_code == 400
    assert "a rejection needs a comment" in response.content.decode()
    assert _state(in_review) == before

    assert _step(client, in_review, "reject", comment="Say why in the rationale").status_code == 302
    in_review.refresh_from_db()
    assert in_review.status == VersionStatus.DRAFT and in_review.review_comment == "Say why in the rationale"
    assert "Say why in the rationale" in client.get("/principles/quiet-evenings/").content.decode()


@pytest.mark.parametrize(
    ("who", "step", "status", "message"),
    [
        ("author", "approve", 403, "Nobody reviews their own version"),
        ("same_team", "approve", 403, "another team than the author"),
        ("agent", "approve", 403, "Only a CX manager"),
        ("agent", "restore", 403, "Only a CX manager can edit principles"),
        ("author", "submit", 409, "Cannot submit v1: it is in review"),
        ("author", "publish", 409, "must approve it first"),
        ("author", "retire", 409, "Cannot retire v1"),
        ("author", "rollback", 409, "was never published"),
    ],
)
def test_a_refusal_is_shown_and_changes_nothing(
    client, request, cx_manager, agent, in_review, who, step, status, message
):
    users = {"author": cx_manager, "agent": agent, "same_team": make_user("cora", role="cx_manager", team="cx")}
    client.force_login(users[who])
    before = _state(in_review)

    response = _step(client, in_review, step, comment="looks fine")

    assert response.status_code == status
    page = response.content.decode()
    assert 'data-testid="refused"' in page and message in page
    assert _state(in_review) == before


def test_publishing_with_a_failing_example_is_blocked_and_named(client, cx_manager, service_manager):
    failing = {
        "name": "loyal customers are spared",
        "facts": {"stage": "loyal"},
        "interaction": {"team": "marketing_devices", "category": "marketing", "channel": "email"},
        "expect_verdict": "suppress",
    }
    version = services.principle_version_submit(
        version=draft(cx_manager, slug="quiet-evenings", examples=[failing]), actor=cx_manager
    )
    services.principle_version_approve(version=version, actor=service_manager)
    client.force_login(cx_manager)

    page = client.get("/principles/quiet-evenings/").content.decode()
    assert 'data-testid="publish-1" disabled' in page
    assert "Publishing is blocked: example &#x27;loyal customers are spared&#x27; expected suppress" in page

    before = _state(version)
    response = _step(client, version, "publish")  # the disabled button does not stop a hand-made POST
    assert response.status_code == 409 and "loyal customers are spared" in response.content.decode()
    assert _state(version) == before


def test_rollback_and_restore_make_new_versions(client, cx_manager, service_manager):
    first = draft(cx_manager, slug="quiet-evenings")
    publish(first, author=cx_manager, reviewer=service_manager)
    second = services.principle_version_draft_create(version=first, actor=cx_manager)
    services.principle_version_update(version=second, actor=cx_manager, lock_version=1, priority=150)
    publish(second, author=cx_manager, reviewer=service_manager)
    client.force_login(cx_manager)

    assert _step(client, first, "rollback").status_code == 302
    assert _step(client, second, "restore").status_code == 302

    versions = dict(PrincipleVersion.objects.filter(principle=first.principle).values_list("number", "status"))
    assert versions == {1: "superseded", 2: "superseded", 3: "published", 4: "draft"}
    restored = PrincipleVersion.objects.get(principle=first.principle, number=4)
    assert restored.priority == 150 and restored.change_note == "Restored from v2"
    # The approver of v1 may not roll back to it: they would approve their own copy.
    client.force_login(service_manager)
    before = _state(first)
    assert _step(client, first, "rollback").status_code == 403
    assert _state(first) == before


def _buttons(client, user, slug="quiet-evenings") -> set[str]:
    client.force_login(user)
    page = client.get(f"/principles/{slug}/").content.decode()
    return {
        f"{step}-{n}"
        for step in ("submit", "approve", "open-reject", "publish", "open-retire", "rollback", "restore")
        for n in range(1, 4)
        if f'data-testid="{step}-{n}"' in page
    }


def test_buttons_follow_role_and_status(client, cx_manager, service_manager, agent, in_review):
    assert _buttons(client, agent) == set()
    assert _buttons(client, cx_manager) == {"restore-1"}  # the author cannot review
    assert _buttons(client, service_manager) == {"approve-1", "open-reject-1", "restore-1"}
    services.principle_version_approve(version=in_review, actor=service_manager)
    assert _buttons(client, cx_manager) == {"publish-1", "restore-1"}
    services.principle_version_publish(version=in_review, actor=cx_manager)
    assert _buttons(client, cx_manager) == {"open-retire-1", "restore-1"}
    draft_two = services.principle_version_draft_create(version=in_review, actor=cx_manager)
    assert _buttons(client, cx_manager) == {"open-retire-1", "restore-1", f"submit-{draft_two.number}"}


def test_the_author_is_told_why_they_cannot_review(client, cx_manager, in_review):
    client.force_login(cx_manager)
    page = client.get("/principles/quiet-evenings/").content.decode()
    assert "You cannot review v1: Nobody reviews their own version" in page


def test_a_step_is_a_post(client, cx_manager, in_review):
    client.force_login(cx_manager)
    assert client.get("/principles/quiet-evenings/v1/submit/").status_code == 405
    assert client.post("/principles/quiet-evenings/v1/explode/").status_code == 404
    assert client.post("/principles/quiet-evenings/v9/submit/").status_code == 404
    assert client.post("/principles/nope/v1/submit/").status_code == 404


def test_every_step_is_in_the_audit_trail(client, cx_manager, service_manager, in_review):
    client.force_login(service_manager)
    _step(client, in_review, "reject", comment="Narrow the scope")
    page = client.get("/principles/quiet-evenings/").content.decode()
    for action in ("created", "submitted for review", "sent back to draft", "Narrow the scope", "sven", "carla"):
        assert action in page


def test_a_version_in_review_embeds_its_impact_preview(client, service_manager, cx_manager, in_review):
    client.force_login(service_manager)
    page = client.get("/principles/quiet-evenings/").content.decode()
    assert 'hx-get="/principles/quiet-evenings/v1/impact/"' in page
    assert "vendor/plotly.min.js" in page  # the preview's chart draws once swapped in

    services.principle_version_approve(version=in_review, actor=service_manager)
    services.principle_version_publish(version=in_review, actor=cx_manager)
    page = client.get("/principles/quiet-evenings/").content.decode()
    assert "/v1/impact/" in page and 'hx-get="/principles/quiet-evenings/v1/impact/"' not in page  # retiring's link
    assert "vendor/plotly.min.js" not in page
