"""The principles list: every console role reads it; filters and search as GET parameters; the review badge."""

from __future__ import annotations

import random

import pytest
from django.utils import timezone

from membrane.principles import services
from membrane.principles.impact import condition_match_count
from membrane.runs.services import stages_evaluate_all
from membrane.tests.principles_support import draft, publish
from membrane.tests.test_actions_set_based_agreement import random_customer

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db


def _slugs(response) -> set[str]:
    page = response.content.decode()
    return {slug for slug in ("quiet-evenings", "loud-mornings", "no-offers-in-crisis") if f"principle-{slug}" in page}


@pytest.fixture
def two_principles(cx_manager, service_manager):
    quiet = draft(cx_manager, slug="quiet-evenings", title="Quiet evenings", categories=["marketing"])
    publish(quiet, author=cx_manager, reviewer=service_manager)
    draft(
        service_manager,
        slug="loud-mornings",
        title="Loud mornings",
        categories=["upsell"],
        effect="allow",
        condition='stage == "loyal"',
        examples=[],
    )


@pytest.mark.parametrize("persona", ["cx_manager", "agent", "marketer"])
def test_every_console_role_reads_the_list(client, request, persona, two_principles):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/principles/")
    assert response.status_code == 200
    assert _slugs(response) == {"quiet-evenings", "loud-mornings", "no-offers-in-crisis"}
    assert "{#" not in response.content.decode()  # no template comment shows as text


def test_an_outsider_is_refused(client, outsider):
    assert client.get("/principles/").status_code == 302
    client.force_login(outsider)
    assert client.get("/principles/").status_code == 403


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"team": "service"}, {"loud-mornings"}),
        ({"status": "draft"}, {"loud-mornings"}),
        ({"effect": "allow"}, {"loud-mornings"}),
        ({"category": "upsell"}, {"loud-mornings", "no-offers-in-crisis"}),
        ({"q": "QUIET"}, {"quiet-evenings"}),
        ({"q": '"loyal"'}, {"loud-mornings"}),
        ({"team": "cx", "effect": "suppress", "category": "marketing"}, {"quiet-evenings", "no-offers-in-crisis"}),
    ],
)
def test_filters_and_search(client, agent, two_principles, query, expected):
    client.force_login(agent)
    response = client.get("/principles/", query)
    assert _slugs(response) == expected
    # The filter form shows what the URL asks for, so reload and Back keep them.
    for name, value in query.items():
        if name == "q":
            assert f'value="{value}"'.replace('"loyal"', "&quot;loyal&quot;") in response.content.decode()
        else:
            assert f'value="{value}" selected' in response.content.decode()


def test_an_htmx_filter_answers_with_the_results_alone(client, agent, two_principles):
    client.force_login(agent)
    response = client.get("/principles/", {"team": "service"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="principle-results">')
    assert "principle-loud-mornings" in page and "<html" not in page


def test_an_unknown_filter_value_says_so_and_filters_nothing(client, agent, two_principles):
    client.force_login(agent)
    response = client.get("/principles/", {"status": "lost", "team": "nobody"})
    page = response.content.decode()
    assert "unknown status &#x27;lost&#x27;" in page and "unknown team &#x27;nobody&#x27;" in page
    assert _slugs(response) == {"quiet-evenings", "loud-mornings", "no-offers-in-crisis"}


def test_no_match_offers_the_way_back(client, agent, two_principles):
    client.force_login(agent)
    page = client.get("/principles/", {"q": "nothing like this"}).content.decode()
    assert "No principle matches these filters" in page


def test_the_list_shows_the_last_change_and_who_made_it(client, agent, cx_manager, two_principles):
    client.force_login(agent)
    row = client.get("/principles/", {"team": "service"}).content.decode()
    assert "created v1 by sven" in row


def test_the_badge_counts_what_awaits_me(client, cx_manager, service_manager, two_principles):
    loud = services.principle_version_submit(
        version=draft(service_manager, slug="loud-evenings", examples=[]), actor=service_manager
    )
    client.force_login(cx_manager)
    page = client.get("/principles/").content.decode()
    assert "1 awaiting your review" in page and 'href="/principles/review/"' in page
    client.force_login(service_manager)  # the author: nothing awaits them
    assert "awaiting your review" not in client.get("/principles/").content.decode()
    services.principle_version_approve(version=loud, actor=cx_manager)
    client.force_login(cx_manager)
    assert "awaiting your review" not in client.get("/principles/").content.decode()


def test_the_list_costs_a_fixed_number_of_queries(client, cx_manager, django_assert_max_num_queries):
    client.force_login(cx_manager)
    with django_assert_max_num_queries(14) as few:
        client.get("/principles/")
    for n in range(6):
        draft(cx_manager, slug=f"extra-{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get("/principles/").status_code == 200


def test_each_row_loads_how_many_customers_its_published_condition_holds_for(
    client, agent, cx_manager, service_manager
):
    rng = random.Random(14)
    for n in range(12):
        random_customer(rng, f"mc-{n}")
    stages_evaluate_all(as_of=timezone.now(), chunk_size=5)
    published = draft(cx_manager, slug="quiet-evenings", condition="open_tickets > 0", examples=[])
    publish(published, author=cx_manager, reviewer=service_manager)
    newer = services.principle_version_draft_create(version=published, actor=cx_manager)
    services.principle_version_update(version=newer, actor=cx_manager, lock_version=1, condition="true")
    expected = condition_match_count(condition="open_tickets > 0")
    assert 0 < expected < condition_match_count(condition="true")  # the two versions' counts differ
    client.force_login(agent)

    assert 'hx-get="/principles/quiet-evenings/matches/"' in client.get("/principles/").content.decode()
    cell = client.get("/principles/quiet-evenings/matches/", headers={"HX-Request": "true"}).content.decode()
    assert cell.strip() == f'<span class="matches">{expected}</span>'


def test_the_new_principle_button_is_for_managers(client, cx_manager, agent):
    client.force_login(cx_manager)
    assert 'href="/principles/new/" data-testid="new-principle"' in client.get("/principles/").content.decode()
    client.force_login(agent)
    assert 'data-testid="new-principle"' not in client.get("/principles/").content.decode()


def test_a_prescription_names_its_action_and_team_as_the_queue_does(client, agent, cx_manager):
    draft(
        cx_manager,
        slug="call-after-recurrences",
        categories=[],
        effect="prescribe",
        params={"action": "agent_contact", "team": "service", "due_hours": 24},
        condition="max_issue_recurrence_90d > 3",
        examples=[],
    )
    client.force_login(agent)
    page = client.get("/principles/").content.decode()

    assert "prescribe Agent contact for team Service within 24 hours" in page
    assert "prescribe agent_contact" not in page
