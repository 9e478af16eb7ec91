"""GET /api/v1/principles and /principles/{slug}: read access with the read scope."""

from __future__ import annotations

from membrane.principles import services


def test_the_list_shows_every_principle_with_its_published_version(api, make_token):
    response = api(make_token("read")).get("/api/v1/principles")

    assert response.status_code == 200
    principles = {p["slug"]: p for p in response.json()["principles"]}
    crisis = principles["no-offers-in-crisis"]
    assert crisis["published"]["condition"] == 'stage == "crisis"'
    assert crisis["published"]["scope"]["categories"] == ["marketing", "sales_offer", "upsell"]
    assert principles["at-risk-one-upsell-a-month"]["published"]["params"] == {"n": 1, "days": 30}


def test_one_principle_lists_its_versions_with_diffs(api, make_token, cx_manager):
    from membrane.models.principles import PrincipleVersion

    published = PrincipleVersion.objects.get(principle__slug="no-survey-before-eta")
    draft = services.principle_version_draft_create(version=published, actor=cx_manager)
    services.principle_version_update(version=draft, actor=cx_manager, lock_version=1, priority=110)

    body = api(make_token("read")).get("/api/v1/principles/no-survey-before-eta").json()

    assert [(v["number"], v["status"]) for v in body["versions"]] == [(2, "draft"), (1, "published")]
    assert "+priority: 110" in body["versions"][0]["diff"]


def test_reading_needs_the_read_scope(api, make_token):
    assert api(make_token("decide")).get("/api/v1/principles").status_code == 403
    assert api(None).get("/api/v1/principles").status_code == 401
    assert api(make_token("read")).get("/api/v1/principles/nope").status_code == 404
