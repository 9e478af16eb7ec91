"""POST /api/v1/principles: a CX manager creates a principle with its draft v1; a bad body names every bad
field (a condition's problems with line, column and suggestion) and stores nothing."""

from __future__ import annotations

from membrane.models.principles import Principle, PrincipleAudit, PrincipleVersion
from membrane.principles import services
from membrane.tests.principle_api_support import URL, Console, principle_body


def test_a_cx_manager_creates_a_principle_with_its_draft_v1(cx_manager):
    response = Console(cx_manager).post(URL, principle_body(slug="quiet-in-crisis"))

    assert response.status_code == 201
    body = response.json()
    assert (body["slug"], body["team"], body["published"]) == ("quiet-in-crisis", "cx", None)
    [version] = body["versions"]
    summary = (version["number"], version["status"], version["author"], version["lock_version"])
    assert summary == (1, "draft", "carla", 1)
    assert version["scope"] == {"categories": ["marketing"], "channels": [], "teams": []}
    assert version["example_results"] == [
        {"name": "crisis suppresses marketing", "passed": True, "expected": "suppress", "actual": "suppress"}
    ]
    assert '+  stage == "crisis"' in version["diff"]
    stored = PrincipleVersion.objects.get(principle__slug="quiet-in-crisis")
    assert stored.principle.team.key == "cx" and stored.author == cx_manager
    assert list(stored.audit.values_list("action", flat=True)) == ["create"]


def test_the_owning_team_is_the_authors(service_manager):
    response = Console(service_manager).post(URL, principle_body(slug="service-owned"))

    assert response.status_code == 201 and response.json()["team"] == "service"


def test_a_bad_body_names_every_bad_field_and_stores_nothing(cx_manager):
    before = (Principle.objects.count(), PrincipleVersion.objects.count(), PrincipleAudit.objects.count())
    body = principle_body(
        slug="no-offers-in-crisis",  # taken by a reference principle
        title="",
        condition='open_ticket > 0 and stage == "crisis"',
        effect="cap",
        params={"n": 0},
        priority="high",
        categories=["marketing", "spam"],
        examples=[{"name": "no expectation", "facts": {"stage": "crisis"}}],
    )

    response = Console(cx_manager).post(URL, body)

    assert response.status_code == 400
    errors = response.json()["errors"]
    by_field = {error["field"]: error for error in errors}
    assert set(by_field) == {
        "slug",
        "title",
        "condition",
        "params.n",
        "params.days",
        "priority",
        "categories",
        "examples[0]",
    }
    assert "already exists" in by_field["slug"]["message"]
    assert "spam" in by_field["categories"]["message"]
    condition = by_field["condition"]
    assert (condition["line"], condition["column"], condition["suggestion"]) == (1, 1, "open_tickets")
    assert "open_ticket" in condition["message"]
    assert (Principle.objects.count(), PrincipleVersion.objects.count(), PrincipleAudit.objects.count()) == before


def test_the_condition_errors_are_those_of_the_expressions_check(cx_manager):
    condition = 'stage == "crisis" and\n  days_in_stag > 2 or'
    check = Console(cx_manager).post("/api/v1/expressions/check", {"expression": condition, "context": "principle"})

    response = Console(cx_manager).post(URL, principle_body(condition=condition))

    assert response.status_code == 400 and check.json()["ok"] is False
    reported = [
        {key: value for key, value in error.items() if key not in ("index", "field")}
        for error in response.json()["errors"]
        if error["field"] == "condition"
    ]
    assert reported == check.json()["errors"]


def test_unknown_and_missing_fields_are_named_with_the_bad_values(cx_manager):
    body = principle_body(owner="cx", priority="high")
    del body["condition"], body["slug"]

    response = Console(cx_manager).post(URL, body)

    assert response.status_code == 400
    messages = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert messages == {
        "owner": "Unknown field.",
        "slug": "This field is required.",
        "condition": "This field is required.",
        "priority": "Must be an integer.",
    }
    assert not Principle.objects.filter(title=body["title"]).exists()


def test_a_body_that_is_not_an_object_is_a_400(cx_manager):
    console = Console(cx_manager)
    assert console.post(URL, ["slug"]).status_code == 400
    response = console.client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400 and "Malformed JSON" in response.json()["detail"]


def test_a_slug_that_names_a_page_of_the_console_is_refused(cx_manager):
    # /principles/review/ is the review queue: a principle with that slug could never be opened.
    for slug in ("new", "review", "editor"):
        response = Console(cx_manager).post(URL, principle_body(slug=slug))

        assert response.status_code == 400
        assert {error["field"] for error in response.json()["errors"]} == {"slug"}
    assert not Principle.objects.filter(slug__in=["new", "review", "editor"]).exists()


def test_a_slug_taken_between_the_check_and_the_insert_is_a_400_not_a_500(cx_manager, monkeypatch):
    # The check runs before another manager's insert commits: the database's unique constraint decides.
    monkeypatch.setattr(services, "principle_fields_check", lambda **fields: {})
    response = Console(cx_manager).post(URL, principle_body(slug="no-offers-in-crisis"))

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "slug"
    assert Principle.objects.filter(slug="no-offers-in-crisis").count() == 1
