"""The read-only console pages: principles, one principle with versions and diffs, the decision log."""

from __future__ import annotations

import pytest

from cxcore.factories import CustomerFactory
from membrane.decisions.services import decision_make
from membrane.decisions.values import DecisionInputs, Interaction
from membrane.models.principles import Principle
from membrane.principles import services
from membrane.tests.principles_support import draft

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db

PAGES = ["/principles/", "/principles/no-offers-in-crisis/", "/decisions/"]


@pytest.mark.parametrize("url", PAGES)
def test_pages_need_a_login_and_a_role(client, outsider, url):
    assert client.get(url).status_code == 302
    client.force_login(outsider)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("persona", ["cx_manager", "agent", "marketer"])
def test_every_console_role_reads_the_principles(db, client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/principles/")
    assert response.status_code == 200
    assert "No marketing or sales offers during a crisis" in response.content.decode()


def test_the_list_costs_a_fixed_number_of_queries(client, cx_manager, django_assert_max_num_queries):
    client.force_login(cx_manager)
    with django_assert_max_num_queries(12):
        client.get("/principles/")
    for n in range(5):
        draft(cx_manager, slug=f"extra-{n}")
    with django_assert_max_num_queries(12):
        assert client.get("/principles/").status_code == 200


def test_one_principle_shows_versions_diffs_and_audit(client, cx_manager):
    version = draft(cx_manager, slug="quiet-evenings", title="Quiet evenings")
    services.principle_version_submit(version=version, actor=cx_manager)
    second = services.principle_version_draft_create(version=version, actor=cx_manager)
    services.principle_version_update(version=second, actor=cx_manager, lock_version=1, priority=150)
    client.force_login(cx_manager)

    page = client.get("/principles/quiet-evenings/").content.decode()

    assert "+priority: 150" in page and "-priority: 100" in page
    assert "submitted for review" in page
    assert client.get("/principles/nope/").status_code == 404


def test_a_rationale_cannot_inject_script(client, cx_manager):
    Principle.objects.filter(slug="no-offers-in-crisis").update(
        rationale='Be *kind*. <script>alert("x")</script><img src=x onerror=alert(1)>'
    )
    client.force_login(cx_manager)
    page = client.get("/principles/no-offers-in-crisis/").content.decode()
    assert "<em>kind</em>" in page
    assert "<script>alert" not in page and "onerror" not in page


def test_the_decision_log_lists_answers_with_their_reason(client, agent):
    customer = CustomerFactory(external_id="M-7")
    decision_make(inputs=DecisionInputs(customer), interaction=Interaction("marketing_devices", "upsell", "email"))
    client.force_login(agent)

    page = client.get("/decisions/").content.decode()

    assert "M-7" in page and "Allowed: no published principle restricts this contact." in page
    assert "M-7" not in client.get("/decisions/?verdict=suppress").content.decode()


def test_a_suppression_in_the_log_links_the_principle_that_decided_it(client, agent):
    from django.utils import timezone

    from membrane.tests.stage_helpers import DAY, ticket

    customer = CustomerFactory(external_id="M-8")
    ticket(customer.external_id, "T1", timezone.now() - 2 * DAY)
    decision_make(inputs=DecisionInputs(customer), interaction=Interaction("marketing_devices", "upsell", "email"))
    client.force_login(agent)

    page = client.get("/decisions/?verdict=suppress").content.decode()

    assert "No marketing or sales offers during a crisis" in page
    assert 'href="/principles/no-offers-in-crisis/"' in page
    assert '?verdict=suppress" aria-current="page"' in page
