"""POST /api/v1/principles/{slug}/versions (a new draft from the latest version with changes) and PATCH
.../versions/{n} with lock_version: 409 on a stale copy saying who saved, when and what they changed."""

from __future__ import annotations

from cxcore.factories import make_user
from membrane.models.principles import PrincipleVersion
from membrane.tests.principle_api_support import URL, Console, version_url
from membrane.tests.principles_support import draft, publish


def test_a_new_draft_copies_the_latest_version_with_the_changes(cx_manager, service_manager):
    published = publish(draft(cx_manager, channels=["email"]), author=cx_manager, reviewer=service_manager)
    slug = published.principle.slug

    response = Console(service_manager).post(
        f"{URL}/{slug}/versions", {"priority": 150, "categories": ["upsell", "marketing"], "change_note": "upsell"}
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["status"], body["author"], body["lock_version"]) == (2, "draft", "sven", 1)
    assert (body["priority"], body["change_note"]) == (150, "upsell")
    assert body["scope"]["categories"] == ["marketing", "upsell"]
    assert (body["condition"], body["scope"]["channels"], body["examples"]) == (
        published.condition,
        ["email"],
        published.examples,
    )
    assert body["example_results"][0]["passed"] is True
    published.refresh_from_db()
    assert (published.status, published.priority) == ("published", 100)


def test_a_new_draft_with_bad_changes_names_every_one_and_stores_nothing(cx_manager):
    slug = draft(cx_manager).principle.slug

    response = Console(cx_manager).post(
        f"{URL}/{slug}/versions", {"condition": "days_in_stage >", "effect": "cap", "params": {"n": 2}, "colour": 1}
    )

    assert response.status_code == 400
    fields = [error["field"] for error in response.json()["errors"]]
    assert sorted(fields) == ["colour", "condition", "params.days"]
    condition = next(error for error in response.json()["errors"] if error["field"] == "condition")
    assert (condition["line"], condition["column"]) == (1, 16)
    assert PrincipleVersion.objects.filter(principle__slug=slug).count() == 1


def test_a_new_draft_of_an_unknown_principle_is_a_404(cx_manager):
    assert Console(cx_manager).post(f"{URL}/nope/versions", {"priority": 1}).status_code == 404


def test_patching_a_draft_saves_it_and_moves_its_lock_version_on(cx_manager):
    version = draft(cx_manager)
    url = version_url(version.principle.slug, 1)

    response = Console(cx_manager).patch(url, {"lock_version": 1, "priority": 120, "channels": ["sms"]})

    assert response.status_code == 200
    body = response.json()
    assert (body["priority"], body["scope"]["channels"], body["lock_version"]) == (120, ["sms"], 2)
    version.refresh_from_db()
    assert (version.priority, version.channels, version.lock_version) == (120, ["sms"], 2)


def test_a_stale_lock_version_is_a_409_saying_who_saved_when_and_what(cx_manager):
    carla = cx_manager
    carla.first_name, carla.last_name = "Carla", "Conti"
    carla.save()
    cora = make_user("cora", role="cx_manager", team="cx")
    version = draft(carla)
    url = version_url(version.principle.slug, 1)
    saved = Console(carla).patch(url, {"lock_version": 1, "priority": 120, "condition": "days_in_stage > 1"})
    assert saved.status_code == 200

    response = Console(cora).patch(url, {"lock_version": 1, "priority": 90})

    assert response.status_code == 409
    body = response.json()
    version.refresh_from_db()
    assert body["detail"].startswith("Carla Conti saved this draft at ")
    assert body["saved_by"] == "Carla Conti" and body["saved_at"] == version.updated_at.isoformat()
    assert [(c["by"], c["action"], c["comment"]) for c in body["changes"]] == [
        ("carla", "edit", "changed condition, priority")
    ]
    assert (body["current"]["priority"], body["current"]["lock_version"]) == (120, 2)
    assert (version.priority, version.lock_version) == (120, 2)
    # With the lock_version the 409 gave, the same edit goes through.
    assert Console(cora).patch(url, {"lock_version": 2, "priority": 90}).status_code == 200


def test_a_copy_from_before_a_rejection_is_stale_and_the_409_gives_the_comment(cx_manager, service_manager):
    version = draft(cx_manager)
    slug = version.principle.slug
    carla, sven = Console(cx_manager), Console(service_manager)
    assert carla.post(version_url(slug, 1, "submit")).status_code == 200
    assert sven.post(version_url(slug, 1, "reject"), {"comment": "Scope upsell too."}).status_code == 200

    response = carla.patch(version_url(slug, 1), {"lock_version": 1, "priority": 5})

    assert response.status_code == 409
    assert [(c["by"], c["action"], c["comment"]) for c in response.json()["changes"]] == [
        ("sven", "reject", "Scope upsell too.")
    ]


def test_a_version_that_is_not_a_draft_never_changes(cx_manager, service_manager):
    published = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)

    response = Console(cx_manager).patch(
        version_url(published.principle.slug, 1), {"lock_version": published.lock_version, "priority": 1}
    )

    assert response.status_code == 409 and "never changes" in response.json()["detail"]
    published.refresh_from_db()
    assert published.priority == 100


def test_a_bad_patch_names_every_bad_field_and_stores_nothing(cx_manager):
    version = draft(cx_manager)
    url = version_url(version.principle.slug, 1)

    response = Console(cx_manager).patch(
        url, {"lock_version": 1, "condition": "stage = 'crisis'", "priority": 2**40, "teams": ["nobody"]}
    )

    assert response.status_code == 400
    assert sorted({error["field"] for error in response.json()["errors"]}) == ["condition", "priority", "teams"]
    condition = next(error for error in response.json()["errors"] if error["field"] == "condition")
    assert {"line", "column", "message"} <= set(condition)
    version.refresh_from_db()
    assert (version.lock_version, version.priority, version.condition) == (1, 100, 'stage == "crisis"')


def test_a_patch_needs_a_lock_version(cx_manager):
    version = draft(cx_manager)
    url = version_url(version.principle.slug, 1)
    console = Console(cx_manager)

    missing = console.patch(url, {"priority": 1, "author": "me"})
    not_a_number = console.patch(url, {"lock_version": "1", "priority": 1})

    assert missing.status_code == 400
    assert {e["field"]: e["message"] for e in missing.json()["errors"]} == {
        "lock_version": "This field is required.",
        "author": "Unknown field.",
    }
    assert not_a_number.status_code == 400 and not_a_number.json()["errors"][0]["field"] == "lock_version"
    assert console.patch(version_url(version.principle.slug, 9), {"lock_version": 1}).status_code == 404
    version.refresh_from_db()
    assert (version.lock_version, version.priority) == (1, 100)
