"""GET /api/v1/principles/{slug}/versions/{n}/impact: the version against the published set, for console
users and read tokens; a large population's preview is computed by a task while the caller polls."""

from __future__ import annotations

import random

import pytest

from membrane.models.impact import ImpactPreview
from membrane.models.principles import PrincipleVersion
from membrane.principles import impact_previews, services
from membrane.principles.impact import version_impact
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import NOW
from .test_actions_set_based_agreement import random_customer

URL = "/api/v1/principles/no-offers-in-crisis/versions/{n}/impact"


@pytest.fixture
def draft(db, cx_manager):
    """A new draft of the crisis principle that suppresses marketing for every customer with an open ticket."""
    rng = random.Random(3)
    for n in range(10):
        random_customer(rng, f"api-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=5)
    published = PrincipleVersion.objects.get(principle__slug="no-offers-in-crisis", status="published")
    return services.principle_version_draft_from_latest(
        principle=published.principle, actor=cx_manager, condition="open_tickets > 0"
    )


def test_a_read_token_gets_the_impact(api, make_token, draft):
    response = api(make_token("read")).get(URL.format(n=draft.number))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["customers"] == 10
    assert body["campaigns"] == []
    expected = version_impact(version=draft)
    assert body["changes"] == expected["changes"]
    assert body["actions"] == expected["actions"]


def test_a_console_user_gets_the_impact_and_a_retire_preview(client, agent, draft):
    client.force_login(agent)
    published = PrincipleVersion.objects.get(principle=draft.principle, status="published")

    retired = client.get(URL.format(n=published.number), {"retire": "1"}).json()

    assert retired["changes"] == version_impact(version=published, retire=True)["changes"]


def test_reading_the_impact_needs_the_read_scope(api, make_token, draft):
    assert api(make_token("decide")).get(URL.format(n=draft.number)).status_code == 403
    assert api(None).get(URL.format(n=draft.number)).status_code == 401
    assert api(make_token("read")).get(URL.format(n=99)).status_code == 404
    assert api(make_token("read")).get("/api/v1/principles/nope/versions/1/impact").status_code == 404


def test_a_large_population_is_previewed_by_a_task_while_the_caller_polls(
    api, make_token, draft, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(impact_previews, "LARGE", 5)
    queued = []
    monkeypatch.setattr(impact_previews, "_queue", queued.append)
    token = make_token("read")

    with django_capture_on_commit_callbacks(execute=True):
        first = api(token).get(URL.format(n=draft.number))
    again = api(token).get(URL.format(n=draft.number))

    assert (first.status_code, first.json()["status"]) == (202, "running")
    assert again.status_code == 202
    assert len(queued) == 1  # asking again while it runs queues nothing more

    impact_previews.impact_preview_compute(preview_id=queued[0])
    impact_previews.impact_preview_compute(preview_id=queued[0])  # a second run changes nothing
    done = api(token).get(URL.format(n=draft.number))

    assert done.status_code == 200
    assert done.json()["changes"] == version_impact(version=draft)["changes"]
    assert ImpactPreview.objects.get().progress == 1.0
