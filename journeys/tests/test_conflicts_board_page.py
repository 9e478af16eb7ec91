"""The conflict board: the list with severity and teams, the heatmap and the timeline, for the right people."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse

from .conflicts_support import campaign, population

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db

URL = "/conflicts/"


@pytest.fixture
def board(db):
    population(size=6)
    devices = campaign("Hardware", team="marketing_devices", category="service_update", start_day=1)
    services = campaign("Services", team="marketing_services", category="service_update", start_day=3, channel="sms")
    survey = campaign("Survey", team="research", category="survey", start_day=40)  # no consent: all suppressed
    return devices, services, survey


def chart(html: str, element_id: str) -> dict:
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1))


def test_the_board_lists_the_conflicts_with_severity_teams_and_links_to_both_previews(board, client, marketer):
    devices, services, survey = board
    client.force_login(marketer)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    rows = re.findall(r'data-testid="conflict" data-kind="(\w+)"', html)
    assert sorted(rows) == ["overlap", "suppressed_audience"]
    for c in (devices, services, survey):
        assert f'href="{reverse("campaign-preview", args=[c.pk])}"' in html
    assert "marketing_devices" in html and "marketing_services" in html
    assert "different channels" in html
    heat = chart(html, "heatmap-data")
    index = {team: i for i, team in enumerate(heat["x"])}
    shared = heat["z"][index["marketing_devices"]][index["marketing_services"]]
    assert shared == heat["z"][index["marketing_services"]][index["marketing_devices"]] > 0
    timeline = chart(html, "timeline-data")
    assert len(timeline["bars"]) == 3
    # Each conflict is marked on each of its campaigns' rows: the overlap on two, the suppression on one.
    assert len(timeline["marks"]) == 3


def test_the_filter_swaps_the_list_in_place_and_says_when_a_value_is_unknown(board, client, cx_manager):
    client.force_login(cx_manager)
    response = client.get(URL, {"kind": "suppressed_audience"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="conflict-list"' in html
    assert re.findall(r'data-kind="(\w+)"', html) == ["suppressed_audience"]
    response = client.get(URL, {"kind": "nonsense", "team": "research"})
    html = response.content.decode()
    assert "unknown kind &#x27;nonsense&#x27;" in html
    assert re.findall(r'data-testid="conflict" data-kind="(\w+)"', html) == ["suppressed_audience"]


def test_an_empty_board_says_so(db, client, marketer):
    client.force_login(marketer)
    html = client.get(URL).content.decode()
    assert "No conflict between the scheduled campaigns." in html
    assert "No campaign is scheduled." in html


@pytest.mark.parametrize("persona", ["agent", "outsider"])
def test_agents_and_users_without_a_role_are_refused(board, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == 403


def test_anonymous_users_are_sent_to_log_in(db, client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]
