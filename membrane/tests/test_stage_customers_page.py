"""The customers holding one stage, from the Stages page: longest in the stage first, each linked to their view."""

from __future__ import annotations

from django.urls import reverse

from membrane.models import CustomerStage
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed

from .stage_helpers import DAY, NOW, ingest, ticket


def test_the_customers_in_crisis_longest_first(client, agent, django_assert_max_num_queries):
    ingest("calm", "purchase", NOW - 3 * DAY, amount="20.00")
    ticket("recent", "T1", NOW - DAY)
    ticket("oldest", "T2", NOW - 9 * DAY)
    stages_evaluate_changed(at=NOW)  # in event time: each entered crisis when their ticket opened
    client.force_login(agent)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("stage-customers", args=["crisis"]))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.index('href="/customers/oldest/"') < body.index('href="/customers/recent/"')
    assert "/customers/calm/" not in body
    assert "2 customers" in body
    assert f'href="{reverse("stage-customers", args=["crisis"])}"' in client.get(reverse("stages")).content.decode()


def test_a_stage_nobody_holds_and_an_unknown_one(client, agent, db):
    client.force_login(agent)

    assert "Nobody holds this stage" in client.get(reverse("stage-customers", args=["loyal"])).content.decode()
    assert client.get(reverse("stage-customers", args=["no-such-stage"])).status_code == 404


def test_a_stage_no_longer_defined_still_lists_its_holders(client, agent):
    ingest("old", "purchase", NOW - 3 * DAY, amount="20.00")
    stages_evaluate_all(as_of=NOW)
    CustomerStage.objects.update(stage="vip")
    client.force_login(agent)

    body = client.get(reverse("stage-customers", args=["vip"])).content.decode()

    assert 'href="/customers/old/"' in body and "no longer defined" in body
