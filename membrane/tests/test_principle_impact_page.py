"""The impact page of a version: what changes per category and channel with example customers, for every
console role; a fragment for htmx; polling with a progress bar while a large population's preview runs."""

from __future__ import annotations

import random

import pytest

from membrane.models.principles import PrincipleVersion
from membrane.principles import impact_previews, services
from membrane.principles.impact import version_impact
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import NOW
from .test_actions_set_based_agreement import random_customer


@pytest.fixture
def draft(db, cx_manager):
    rng = random.Random(3)
    for n in range(10):
        random_customer(rng, f"page-{n}")
    stages_evaluate_all(as_of=NOW, chunk_size=5)
    published = PrincipleVersion.objects.get(principle__slug="no-offers-in-crisis", status="published")
    # A category that needs no consent, so the consent the generated customers lack does not hide the changes.
    return services.principle_version_draft_from_latest(
        principle=published.principle, actor=cx_manager, condition="open_tickets > 0", categories=["service_update"]
    )


def url(version) -> str:
    return f"/principles/{version.principle.slug}/v{version.number}/impact/"


def test_the_page_shows_the_changes_with_example_customers(client, agent, draft):
    expected = version_impact(version=draft)
    assert expected["changes"], "the draft changes some verdicts"
    client.force_login(agent)

    response = client.get(url(draft))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html
    assert 'data-chart="stacked"' in html
    for change in expected["changes"]:
        assert f'{change["category"]}</span> · <span class="nowrap">{change["channel"]}</span>' in html
        for external_id in change["examples"]:
            assert f'href="/customers/{external_id}/"' in html


def test_htmx_gets_the_fragment(client, cx_manager, draft):
    client.force_login(cx_manager)

    response = client.get(url(draft), headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-testid="impact"' in html
    assert "HX-Request" in response["Vary"]


def test_an_outsider_is_refused_and_a_stranger_sent_to_log_in(client, outsider, draft):
    assert client.get(url(draft)).status_code == 302
    client.force_login(outsider)
    assert client.get(url(draft)).status_code == 403
    assert client.get("/principles/no-such/v1/impact/").status_code == 403


def test_an_unknown_version_is_404(client, agent, draft):
    client.force_login(agent)
    assert client.get(f"/principles/{draft.principle.slug}/v99/impact/").status_code == 404


def test_a_running_preview_polls_with_a_progress_bar(client, agent, draft, monkeypatch):
    monkeypatch.setattr(impact_previews, "LARGE", 5)
    monkeypatch.setattr(impact_previews, "_queue", lambda preview_id: None)
    client.force_login(agent)

    html = client.get(url(draft), headers={"HX-Request": "true"}).content.decode()

    assert 'data-testid="impact-progress"' in html
    assert f'hx-get="{url(draft)}"' in html
    assert 'hx-trigger="every 2s"' in html
