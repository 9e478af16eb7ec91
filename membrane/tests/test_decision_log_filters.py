"""The decision log (issue 17): filtered by team, category, channel, verdict, principle and customer in the URL,
unknown values named, paged; one decision's page with its facts, every matched principle and the reason;
the filtered log as a streamed CSV."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from cxcore.factories import CustomerFactory
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.models.decisions import DecisionLog
from membrane.tests.stage_helpers import DAY, ticket


@pytest.fixture
def log(db):
    """A customer in crisis suppressed for an upsell by email, one at peace allowed a survey by sms."""
    crisis = CustomerFactory(external_id="M-CRISIS")
    ticket(crisis.external_id, "T1", timezone.now() - 2 * DAY)
    calm = CustomerFactory(external_id="M-CALM", consent={"sms": True, "email": True})
    made = {
        "suppressed": decision_make(
            inputs=DecisionInputs(crisis), interaction=Interaction("marketing_devices", "upsell", "email")
        ),
        "allowed": decision_make(inputs=DecisionInputs(calm), interaction=Interaction("research", "survey", "sms")),
    }
    return {name: DecisionLog.objects.get(decision_id=d.decision_id) for name, d in made.items()}


def shown(client, **params) -> set[str]:
    html = client.get(reverse("decisions"), params).content.decode()
    return {d.customer.external_id for d in DecisionLog.objects.all() if f'decision-{d.decision_id}"' in html}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"M-CRISIS", "M-CALM"}),
        ({"team": "research"}, {"M-CALM"}),
        ({"category": "upsell"}, {"M-CRISIS"}),
        ({"channel": "sms"}, {"M-CALM"}),
        ({"verdict": "suppress"}, {"M-CRISIS"}),
        ({"principle": "no-offers-in-crisis"}, {"M-CRISIS"}),
        ({"customer": "M-CALM"}, {"M-CALM"}),
        ({"customer": "M-CALM", "verdict": "suppress"}, set()),
    ],
)
def test_each_filter_keeps_its_decisions(client, agent, log, params, expected):
    client.force_login(agent)
    assert shown(client, **params) == expected


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"team": "zzz"}, "Unknown team zzz"),
        ({"category": "spam"}, "Unknown category spam"),
        ({"channel": "pigeon"}, "Unknown channel pigeon"),
        ({"verdict": "maybe"}, "Unknown verdict maybe (allow or suppress)"),
        ({"principle": "no-such-rule"}, "Unknown principle no-such-rule"),
        ({"customer": "M-NOBODY"}, "Unknown customer M-NOBODY"),
    ],
)
def test_an_unknown_value_is_named_and_shows_nothing(client, agent, log, params, message):
    client.force_login(agent)
    html = client.get(reverse("decisions"), params).content.decode()
    assert f"{message}: no decision is shown." in html
    assert 'data-testid="decisions"' not in html
    assert client.get(reverse("decisions-csv"), params).status_code == 400


def test_one_decision_shows_the_facts_it_read_every_matched_principle_and_the_reason(client, agent, log):
    decision = log["suppressed"]
    client.force_login(agent)
    listing = client.get(reverse("decisions")).content.decode()
    assert reverse("decision", args=[decision.decision_id]) in listing

    html = client.get(reverse("decision", args=[decision.decision_id])).content.decode()
    assert escape(decision.reason) in html
    assert "No marketing or sales offers during a crisis" in html and 'data-testid="deciding"' in html
    for entry in decision.matched:
        assert f'href="/principles/{entry["principle"]}/"' in html
    assert decision.facts and all(f'<dt class="mono">{name}</dt>' in html for name in decision.facts)
    assert client.get(reverse("decision", args=[uuid.uuid4()])).status_code == 404


def test_the_csv_holds_the_filtered_log(client, agent, log):
    client.force_login(agent)
    response = client.get(reverse("decisions-csv"), {"verdict": "suppress"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(r["customer"], r["verdict"], r["principle"]) for r in rows] == [
        ("M-CRISIS", "suppress", "no-offers-in-crisis")
    ]
    assert rows[0]["reason"] == log["suppressed"].reason


def test_a_customer_id_that_reads_as_a_formula_is_text_in_the_csv(client, agent, db):
    customer = CustomerFactory(external_id="=HYPERLINK(1)")
    decision_make(inputs=DecisionInputs(customer), interaction=Interaction("research", "survey", "sms"))
    client.force_login(agent)
    body = b"".join(client.get(reverse("decisions-csv")).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body


def test_an_outsider_is_refused(client, outsider, log):
    client.force_login(outsider)
    assert client.get(reverse("decisions")).status_code == 403
    assert client.get(reverse("decisions-csv")).status_code == 403
    assert client.get(reverse("decision", args=[log["allowed"].decision_id])).status_code == 403


@pytest.mark.parametrize("n", [2, 10])
def test_the_log_takes_the_same_queries_however_many_rows(client, agent, log, django_assert_num_queries, n):
    customer = CustomerFactory()
    for _ in range(n):
        decision_make(inputs=DecisionInputs(customer), interaction=Interaction("research", "survey", "sms"))
    client.force_login(agent)
    client.get(reverse("decisions"))
    # session, user, groups, team; count, page; teams, categories, channels, principles
    with django_assert_num_queries(10):
        client.get(reverse("decisions"), {"team": "research"})


def test_past_the_cap_the_pager_says_more_than(client, agent, log, monkeypatch):
    from membrane.decisions import log_selectors

    monkeypatch.setattr(log_selectors.CappedPaginator, "cap", 1)
    client.force_login(agent)
    assert "more than 1 decisions" in client.get(reverse("decisions")).content.decode()
    assert "1 decision · page 1 of 1" in client.get(reverse("decisions"), {"team": "research"}).content.decode()
