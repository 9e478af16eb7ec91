"""A full run that evaluates a customer for the first time gives them the stage of their history in event time, even
where the rules read the stage held before (stage, previous_stage, days_in_stage): the stage stored is the one
the event-time path finds at the run's instant, and a decision right after about a customer whose signals came
through the ingest answers as the whole history does."""

from __future__ import annotations

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cxcore.models import Customer, CustomerChange, CustomerFoldState, Signal
from membrane.decisions.selectors import decision_inputs_read
from membrane.decisions.services import decision_evaluate
from membrane.decisions.values import Interaction
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all
from membrane.stages.one_customer import stage_bring_up_to

from .stage_helpers import DAY, NOW, publish_rules
from .test_stage_time_offsets import HORIZON_DAYS, staged_rule_sets

pytestmark = pytest.mark.django_db

HOUR = DAY / 24
# The default stage model's at_risk (migration 0002) reads the stage held: a crisis before it.
DEFAULT_RULES = [
    ("crisis", "open_tickets > 0"),
    ("at_risk", 'stage in ["crisis", "at_risk"] and open_tickets == 0 and max_issue_recurrence_90d >= 2'),
    ("dormant", "days_since_last_purchase > 180 or (days_since_last_purchase == null and tenure_days > 180)"),
    ("loyal", "purchases_90d >= 3 or (tenure_days >= 365 and purchases_90d >= 1)"),
    ("active", "days_since_last_purchase <= 180"),
]
ASKED = (
    Interaction(team="marketing_devices", category="marketing", channel="email"),
    Interaction(team="service", category="agent_contact", channel="phone"),
)

signals = st.lists(
    st.tuples(
        st.sampled_from(["purchase", "complaint", "ticket_opened", "ticket_resolved", "contact"]),
        st.integers(1, HORIZON_DAYS * 24 - 1),  # hours before NOW
        st.sampled_from(["T1", "T2", "T3"]),
        st.integers(0, 59),  # minutes: instants that are not whole hours
    ),
    max_size=7,
)
customers = st.lists(
    # Created so many hours before NOW; queued: their signals came through the ingest, which marks them
    # changed (else they were imported, as by a bulk load, and nothing marks them).
    st.tuples(st.integers(24, HORIZON_DAYS * 24), st.booleans(), signals),
    min_size=1,
    max_size=4,
)


class Rollback(Exception):
    pass


def _populate(population) -> list[Customer]:
    made = []
    for n, (created_hours, queued, specs) in enumerate(population):
        customer = Customer.objects.create(external_id=f"first-{n}")
        Customer.objects.filter(pk=customer.pk).update(created_at=NOW - created_hours * HOUR)
        rows = Signal.objects.bulk_create(
            Signal(
                customer=customer,
                kind=kind,
                direction="out" if kind == "contact" else "in",
                team="sales" if kind == "contact" else "",
                category="marketing" if kind == "contact" else "",
                channel="email" if kind == "contact" else "",
                occurred_at=NOW - hours * HOUR + minutes * HOUR / 60,
                received_at=NOW,
                amount="10.00" if kind == "purchase" else None,
                ticket_ref=ref if kind.startswith("ticket") else "",
                issue_key="terminal" if kind == "ticket_opened" else "",
                source="prop",
                idempotency_key=f"{n}-{k}",
            )
            for k, (kind, hours, ref, minutes) in enumerate(specs)
        )
        if queued and rows:
            CustomerChange.objects.create(customer=customer, since=min(row.occurred_at for row in rows))
        made.append(Customer.objects.get(pk=customer.pk))
    return made


def _decisions(customers: list[Customer]) -> dict[str, list[dict]]:
    answers = {}
    for customer in customers:
        inputs = decision_inputs_read(external_id=customer.external_id, at=NOW)
        made = (decision_evaluate(inputs=inputs, interaction=asked, at=NOW).as_dict() for asked in ASKED)
        answers[customer.external_id] = [{k: v for k, v in answer.items() if k != "decision_id"} for answer in made]
    return answers


def _outcome(rules, population) -> tuple[dict, dict, dict, dict, set]:
    """(stored stages after the full run, decisions right after, event-time stages and decisions from the whole
    history at the run's instant, the imported customers), all undone afterwards."""
    try:
        with transaction.atomic():
            publish_rules(rules)
            made = _populate(population)
            marked = zip(made, population, strict=True)
            imported = {c.external_id for c, (_, queued, specs) in marked if not (queued and specs)}
            stages_evaluate_all(as_of=NOW, chunk_size=3)
            stored = dict(CustomerStage.objects.values_list("customer__external_id", "stage"))
            after_run = _decisions(made)
            # The whole history, from nothing stored.
            for model in (StageTransition, CustomerStage, CustomerFoldState):
                model.objects.all().delete()
            whole = {c.external_id: stage_bring_up_to(customer=c, at=NOW).stage for c in made}
            whole_decisions = _decisions(made)
            result = stored, after_run, whole, whole_decisions, imported
            raise Rollback
    except Rollback:
        return result


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rules=st.one_of(st.just(DEFAULT_RULES), staged_rule_sets), population=customers)
# A crisis (a ticket opened) resolved after a recurrence: at_risk in event time, loyal or active without the history.
@example(
    rules=DEFAULT_RULES,
    population=[
        (
            90 * 24,
            False,
            [
                ("purchase", 30 * 24, "T1", 0),
                ("purchase", 20 * 24, "T1", 0),
                ("purchase", 10 * 24, "T1", 0),
                ("ticket_opened", 9 * 24, "T1", 0),
                ("ticket_opened", 8 * 24, "T2", 0),
                ("ticket_resolved", 2 * 24, "T1", 0),
                ("ticket_resolved", 1 * 24, "T2", 0),
            ],
        )
    ],
)
def test_a_first_full_run_stores_the_stage_of_the_history(rules, population):
    stored, after_run, whole, whole_decisions, imported = _outcome(rules, population)
    assert stored == whole
    # A customer whose signals came through the ingest is marked changed, and the changed ones a run stores
    # set-based stay marked: a decision brings them up in event time. An imported one is not marked, so
    # a decision trusts the stored stage, whose start is the run's instant when the run found it (as for a
    # stage time alone changes between two runs): days_in_stage differs, so only its stage is compared.
    assert {i for i in after_run if i not in imported} == {i for i in whole_decisions if i not in imported}
    for external_id in after_run.keys() - imported:
        assert after_run[external_id] == whole_decisions[external_id], external_id
