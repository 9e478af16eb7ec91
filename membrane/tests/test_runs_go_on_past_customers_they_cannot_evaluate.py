"""Nothing already stored stops a run (issue 12, item 1): a customer a run cannot evaluate is recorded on the
run, with the reason, while the run goes on with the others."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from cxcore.models import Customer
from membrane.models import CustomerStage, EvaluationRun
from membrane.stages import services
from membrane.stages.services import stages_evaluate_changed
from membrane.tasks import reevaluate_changed

from .stage_helpers import DAY, ingest, ticket


def stage_of(external_id: str) -> str | None:
    return CustomerStage.objects.filter(customer__external_id=external_id).values_list("stage", flat=True).first()


def test_a_customer_a_run_cannot_evaluate_is_recorded_and_the_others_are_evaluated(client, agent, monkeypatch, db):
    ingest("broken", "complaint", timezone.now() - DAY)
    ticket("ordinary", "T1", timezone.now() - 2 * DAY)
    broken_pk = Customer.objects.get(external_id="broken").pk
    replay = services._replay_customer

    def fails_for_broken(*, customer, **kwargs):
        if customer.pk == broken_pk:
            raise ArithmeticError("a customer no rule foresaw")
        return replay(customer=customer, **kwargs)

    monkeypatch.setattr(services, "_replay_customer", fails_for_broken)

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
