"""Nothing already stored stops a run (issue 12, item 1): signals dated in year 1 or 9999 (stored before the
API refused them) are evaluated like any others, and a customer a run still cannot evaluate is recorded on the
run, with the reason, while the run goes on with the others."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Customer, CustomerChange
from membrane.actions.services import actions_sync
from membrane.models import CustomerStage, EvaluationRun
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed
from membrane.stages import event_time
from membrane.tasks import reevaluate_changed

from .stage_helpers import DAY, ingest, ticket

YEAR_1 = dt.datetime.min.replace(tzinfo=dt.UTC)
YEAR_9999 = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.UTC)


def stored_as_the_api_once_took_it(customer, at: dt.datetime, kind: str, **fields) -> None:
    """A signal written directly, and queued for evaluation as the ingest queued it."""
    SignalFactory(customer=customer, kind=kind, occurred_at=at, **fields)
    CustomerChange.objects.create(customer=customer, since=at)


@pytest.fixture
def out_of_range(db):
    ancient = CustomerFactory(external_id="ancient", consent={"email": True})
    stored_as_the_api_once_took_it(ancient, YEAR_1, "ticket_opened", ticket_ref="T0", issue_key="x", severity="high")
    stored_as_the_api_once_took_it(ancient, YEAR_1, "complaint")
    stored_as_the_api_once_took_it(ancient, YEAR_1 + DAY, "purchase", amount="10.00")
    future = CustomerFactory(external_id="future")
    stored_as_the_api_once_took_it(future, YEAR_9999, "complaint")
    stored_as_the_api_once_took_it(future, timezone.now() - DAY, "ticket_eta_given", ticket_ref="T9", eta=YEAR_9999)
    ticket("ordinary", "T1", timezone.now() - 2 * DAY)
    return ancient


def stage_of(external_id: str) -> str | None:
    return CustomerStage.objects.filter(customer__external_id=external_id).values_list("stage", flat=True).first()


def test_runs_decisions_and_views_take_instants_far_out_of_range(api, make_token, client, agent, out_of_range):
    run = stages_evaluate_changed(at=timezone.now())

    assert (run.outcome, run.skipped, run.error) == ("succeeded", 0, "")
    assert stage_of("ordinary") == "crisis"
    assert stage_of("ancient") is not None
    full = stages_evaluate_all(as_of=timezone.now() + DAY)
    assert full.outcome == "succeeded"
    actions_sync(at=timezone.now() + DAY)
    actions_sync(customer_ids=[out_of_range.pk], at=timezone.now() + 2 * DAY)

    integration = api(make_token("decide", "read"))
    asked = {"customer": "ancient", "team": "marketing_devices", "category": "upsell", "channel": "email"}
    assert integration.post("/api/v1/decisions", asked).status_code == 200
    assert integration.get("/api/v1/customers/ancient").status_code == 200
    assert integration.get("/api/v1/customers/future").status_code == 200
    client.force_login(agent)
    assert client.get(reverse("customer", args=["ancient"])).status_code == 200


def test_a_customer_a_run_cannot_evaluate_is_recorded_and_the_others_are_evaluated(client, agent, monkeypatch, db):
    ingest("broken", "complaint", timezone.now() - DAY)
    ticket("ordinary", "T1", timezone.now() - 2 * DAY)
    broken_pk = Customer.objects.get(external_id="broken").pk
    replay = event_time._replay_customer

    def fails_for_broken(*, customer, **kwargs):
        if customer.pk == broken_pk:
            raise ArithmeticError("a customer no rule foresaw")
        return replay(customer=customer, **kwargs)

    monkeypatch.setattr(event_time, "_replay_customer", fails_for_broken)

    run = EvaluationRun.objects.get(pk=reevaluate_changed())  # the run, then the actions of whom it evaluated

    assert (run.outcome, run.customers, run.skipped) == ("succeeded", 2, 1)
    assert run.skipped_customers == [
        {"id": broken_pk, "customer": "broken", "reason": "ArithmeticError: a customer no rule foresaw"}
    ]
    assert stage_of("ordinary") == "crisis" and stage_of("broken") is None
    # Taken off the queue with the others: the next run does not stall on it again.
    assert stages_evaluate_changed(at=timezone.now()).customers == 0

    client.force_login(agent)
    body = client.get(reverse("run", args=[run.pk])).content.decode()
    skipped = body.split('data-testid="run-skipped-customers"')[1].split("</section>")[0]
    assert "broken" in skipped and "ArithmeticError: a customer no rule foresaw" in skipped
