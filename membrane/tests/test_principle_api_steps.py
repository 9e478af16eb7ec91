"""POST /api/v1/principles/{slug}/versions/{n}/{step}: every lifecycle step through the API, and every refusal:
403 with the reason (role, four eyes), 409 when the status does not allow it or examples fail, 404, 400."""

from __future__ import annotations

import pytest

from cxcore.factories import make_user
from membrane.models.principles import PrincipleVersion
from membrane.tests.principle_api_support import Console, version_url
from membrane.tests.principles_support import draft, publish

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db

FAILING = {
    "interaction": {"team": "marketing_devices", "category": "marketing", "channel": "email"},
    "expect_verdict": "allow",
}


@pytest.fixture
def carla(cx_manager):
    return Console(cx_manager)


@pytest.fixture
def sven(service_manager):
    return Console(service_manager)


def status_of(slug: str, number: int) -> str:
    return PrincipleVersion.objects.get(principle__slug=slug, number=number).status


def test_submit_approve_publish(cx_manager, carla, sven):
    slug = draft(cx_manager).principle.slug

    submitted = carla.post(version_url(slug, 1, "submit"))
    approved = sven.post(version_url(slug, 1, "approve"))
    published = carla.post(version_url(slug, 1, "publish"))

    assert (submitted.status_code, submitted.json()["status"]) == (200, "in_review")
    assert submitted.json()["submitted_at"] is not None
    assert (approved.status_code, approved.json()["approver"]) == (200, "sven")
    assert (published.status_code, published.json()["status"]) == (200, "published")
    assert published.json()["example_results"][0]["passed"] is True
    assert status_of(slug, 1) == "published"


def test_reject_sends_back_to_draft_with_the_comment(cx_manager, carla, sven):
    slug = draft(cx_manager).principle.slug
    carla.post(version_url(slug, 1, "submit"))

    without = sven.post(version_url(slug, 1, "reject"))
    rejected = sven.post(version_url(slug, 1, "reject"), {"comment": "Scope upsell too."})

    assert without.status_code == 400 and without.json()["errors"][0]["field"] == "comment"
    assert rejected.status_code == 200
    assert (rejected.json()["status"], rejected.json()["review_comment"]) == ("draft", "Scope upsell too.")


def test_retire_ends_the_published_version(cx_manager, service_manager, carla):
    slug = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager).principle.slug

    response = carla.post(version_url(slug, 1, "retire"), {"comment": "no longer needed"})

    assert (response.status_code, response.json()["status"]) == (200, "retired")
    assert response.json()["ended_at"] is not None


def test_rollback_publishes_a_copy_of_the_old_version_as_a_new_one(cx_manager, service_manager, carla):
    first = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)
    slug = first.principle.slug
    second = carla.post(f"/api/v1/principles/{slug}/versions", {"priority": 150}).json()
    second = PrincipleVersion.objects.get(principle=first.principle, number=second["number"])
    publish(second, author=cx_manager, reviewer=service_manager)

    response = carla.post(version_url(slug, 1, "rollback"))

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["status"], body["priority"], body["change_note"]) == (
        3,
        "published",
        100,
        "Rollback to v1",
    )
    assert [status_of(slug, n) for n in (1, 2, 3)] == ["superseded", "superseded", "published"]


def test_the_author_cannot_approve_their_own_version(cx_manager, carla):
    slug = draft(cx_manager).principle.slug
    carla.post(version_url(slug, 1, "submit"))

    response = carla.post(version_url(slug, 1, "approve"))

    assert response.status_code == 403 and "Nobody reviews their own version" in response.json()["detail"]
    assert carla.post(version_url(slug, 1, "reject"), {"comment": "mine"}).status_code == 403
    assert PrincipleVersion.objects.get(principle__slug=slug).approver is None


def test_a_manager_of_the_authors_team_cannot_approve(cx_manager, carla):
    slug = draft(cx_manager).principle.slug
    carla.post(version_url(slug, 1, "submit"))
    teammate = Console(make_user("cora", role="cx_manager", team="cx"))

    response = teammate.post(version_url(slug, 1, "approve"))

    assert response.status_code == 403 and "another team than the author's" in response.json()["detail"]
    assert PrincipleVersion.objects.get(principle__slug=slug).approver is None


def test_someone_who_edited_the_draft_cannot_approve(cx_manager, carla, sven):
    slug = draft(cx_manager).principle.slug
    assert sven.patch(version_url(slug, 1), {"lock_version": 1, "priority": 90}).status_code == 200
    carla.post(version_url(slug, 1, "submit"))

    response = sven.post(version_url(slug, 1, "approve"))

    assert response.status_code == 403 and "nor one they edited" in response.json()["detail"]
    # A CX manager of a third team who did not touch it may.
    third = Console(make_user("mia", role="cx_manager", team="marketing_devices"))
    assert third.post(version_url(slug, 1, "approve")).status_code == 200


def test_an_agent_cannot_publish(cx_manager, service_manager, agent):
    version = draft(cx_manager)
    slug = version.principle.slug
    Console(cx_manager).post(version_url(slug, 1, "submit"))
    Console(service_manager).post(version_url(slug, 1, "approve"))

    response = Console(agent).post(version_url(slug, 1, "publish"))

    assert response.status_code == 403 and "Only a CX manager" in response.json()["detail"]
    assert status_of(slug, 1) == "in_review"


def test_the_approver_cannot_roll_back_to_what_they_approved(cx_manager, service_manager, sven):
    slug = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager).principle.slug

    response = sven.post(version_url(slug, 1, "rollback"))

    assert response.status_code == 403 and "You approved v1" in response.json()["detail"]


@pytest.mark.parametrize(
    ("step", "by", "says"),
    [
        ("approve", "sven", "Cannot approve v1: it is draft."),
        ("reject", "sven", "Cannot reject v1: it is draft."),
        ("publish", "carla", "Cannot publish v1: it is draft."),
        ("retire", "carla", "Cannot retire v1: it is draft."),
        ("rollback", "carla", "v1 was never published"),
    ],
)
def test_a_step_the_status_does_not_allow_is_a_409(step, by, says, cx_manager, request):
    slug = draft(cx_manager).principle.slug

    body = {"comment": "x"} if step == "reject" else {}
    response = request.getfixturevalue(by).post(version_url(slug, 1, step), body)

    assert response.status_code == 409 and says in response.json()["detail"]
    assert status_of(slug, 1) == "draft"


def test_submitting_twice_or_publishing_without_an_approval_is_a_409(cx_manager, carla):
    slug = draft(cx_manager).principle.slug
    carla.post(version_url(slug, 1, "submit"))

    again = carla.post(version_url(slug, 1, "submit"))
    unapproved = carla.post(version_url(slug, 1, "publish"))

    assert again.status_code == 409 and "it is in review" in again.json()["detail"]
    assert unapproved.status_code == 409 and "must approve it first" in unapproved.json()["detail"]
    assert status_of(slug, 1) == "in_review"


def test_publishing_with_failing_examples_is_a_409_naming_every_one(cx_manager, carla, sven):
    examples = [
        {"name": "crisis", "facts": {"stage": "crisis"}, **FAILING},
        {"name": "crisis again", "facts": {"stage": "crisis", "days_in_stage": 5}, **FAILING},
        {"name": "calm", "facts": {"stage": "active"}, **FAILING},
    ]
    slug = draft(cx_manager, examples=examples).principle.slug
    carla.post(version_url(slug, 1, "submit"))
    sven.post(version_url(slug, 1, "approve"))

    response = carla.post(version_url(slug, 1, "publish"))

    assert response.status_code == 409
    assert response.json()["failing"] == [
        {"name": "crisis", "expected": "allow", "actual": "suppress"},
        {"name": "crisis again", "expected": "allow", "actual": "suppress"},
    ]
    assert "'crisis'" in response.json()["detail"] and "'crisis again'" in response.json()["detail"]
    assert status_of(slug, 1) == "in_review"


def test_unknown_steps_versions_and_fields(cx_manager, carla):
    slug = draft(cx_manager).principle.slug

    assert carla.post(version_url(slug, 1, "delete")).status_code == 404
    assert carla.post(version_url(slug, 7, "submit")).status_code == 404
    assert carla.post(version_url("nope", 1, "submit")).status_code == 404
    extra = carla.post(version_url(slug, 1, "submit"), {"comment": "please"})
    assert extra.status_code == 400 and extra.json()["errors"][0]["field"] == "comment"
    assert status_of(slug, 1) == "draft"
