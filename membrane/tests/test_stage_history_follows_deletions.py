"""Stage transitions carry no database constraint (a full run writes them by the hundred thousand): Django
still takes a deleted customer's history with it, and a deleted run's transitions stay, unattributed."""

from __future__ import annotations

import pytest

from cxcore.factories import CustomerFactory
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import DAY, NOW, ticket

pytestmark = pytest.mark.django_db


def test_a_deleted_customer_takes_their_transitions_along():
    kept, gone = CustomerFactory(external_id="kept"), CustomerFactory(external_id="gone")
    for customer in (kept, gone):
        ticket(customer.external_id, "T1", NOW - DAY)
    stages_evaluate_all(as_of=NOW)
    assert StageTransition.objects.filter(customer=gone).exists()

    gone.delete()

    assert not StageTransition.objects.filter(customer_id=gone.pk).exists()
    assert not CustomerStage.objects.filter(customer_id=gone.pk).exists()
    assert StageTransition.objects.filter(customer=kept).exists()


def test_a_deleted_run_leaves_its_transitions_unattributed():
    customer = CustomerFactory(external_id="c1")
    ticket(customer.external_id, "T1", NOW - DAY)
    run = stages_evaluate_all(as_of=NOW)
    written = StageTransition.objects.filter(run=run).count()
    assert written > 0

    EvaluationRun.objects.filter(pk=run.pk).delete()

    assert StageTransition.objects.filter(customer=customer).count() == written
    assert not StageTransition.objects.filter(run_id=run.pk).exists()
