"""Property: decisions read from the stored state (the facts' checkpoint, the stored stage) plus the newer signals
answer as the whole history does, at random times, with signals arriving late (dated before the checkpoint);
and the stage history built step by step from checkpoints is the one built from the start in one go."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxcore.facts.fold_state import facts_at
from cxcore.facts.per_customer import FACT_PY, facts_for_customer
from cxcore.models import Customer, CustomerFoldState
from membrane.decisions.facts import customer_row
from membrane.decisions.selectors import decision_inputs_read
from membrane.models import CustomerStage, StageTransition
from membrane.stages.one_customer import stage_bring_up_to
from membrane.tests.stage_helpers import ingest, publish_rules

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)
RULES = [
    ("crisis", "open_high_severity_tickets > 0 or complaints_30d >= 2"),
    ("watch", "max_issue_recurrence_90d >= 2 or tickets_resolved_30d >= 2 or open_tickets_without_eta > 0"),
    ("loyal", "purchases_90d >= 3 and last_survey_score >= 7"),
    ("at_risk", "days_since_last_purchase > 45 and tenure_days > 30"),
    ("quiet", "contacts_7d == 0 and days_since_last_contact > 20"),
]
CXCORE = list(FACT_PY)

signal = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(
            [
                "ticket_opened",
                "ticket_reopened",
                "ticket_resolved",
                "ticket_eta_given",
                "complaint",
                "purchase",
                "survey_response",
                "contact",
            ]
        ),
        # Hours after the batch's own instant: negative ones arrive late, before what was evaluated.
        "hours": st.integers(min_value=-24 * 60, max_value=24 * 3),
        "direction": st.sampled_from(["in", "out"]),
        "ticket_ref": st.sampled_from(["A", "B", "C"]),
        "issue_key": st.sampled_from(["", "wifi"]),
        "severity": st.sampled_from(["low", "high"]),
        "score": st.integers(min_value=0, max_value=10),
    }
)
batch = st.tuples(st.integers(min_value=1, max_value=40), st.lists(signal, max_size=6))


def _item(spec: dict, at: dt.datetime) -> dict:
    fields = {"direction": spec["direction"]}
    kind = spec["kind"]
    if kind.startswith("ticket_"):
        fields["ticket_ref"] = spec["ticket_ref"]
        if kind == "ticket_opened":
            fields["severity"] = spec["severity"]
            if spec["issue_key"]:
                fields["issue_key"] = spec["issue_key"]
    if kind == "survey_response":
        fields.update(score=spec["score"], scale=10)
    if kind == "purchase":
        fields["amount"] = "10.00"
    if kind == "contact":
        fields.update(team="sales", category="marketing", channel="email")
    return {"kind": kind, "at": at + dt.timedelta(hours=spec["hours"]), **fields}


def _history(customer: Customer) -> tuple[list, tuple]:
    transitions = StageTransition.objects.filter(customer=customer).order_by("at")
    stage = CustomerStage.objects.get(customer=customer)
    return (
        list(transitions.values_list("from_stage", "to_stage", "at")),
        (stage.stage, stage.since, stage.previous_stage),
    )


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(batch, min_size=1, max_size=6), asks=st.lists(st.integers(-30, 60), max_size=3))
def test_decisions_from_stored_state_answer_as_the_whole_history(batches, asks):
    publish_rules(RULES)
    customer = Customer.objects.create(external_id="INC-1")
    Customer.objects.filter(pk=customer.pk).update(created_at=T0)
    try:
        at = T0
        for days, signals in batches:
            at += dt.timedelta(days=days)
            for spec in signals:
                item = _item(spec, at)
                ingest("INC-1", item.pop("kind"), item.pop("at"), **item)
            # A decision now (bringing the stage up to date, storing a checkpoint) and at other times.
            for when in (at, *(at + dt.timedelta(days=d) for d in asks)):
                customer.refresh_from_db()
                row, stage = customer_row(inputs=decision_inputs_read(external_id="INC-1", at=when), at=when)
                whole = facts_for_customer(customer=customer, at=when)
                assert {name: row[name] for name in CXCORE} == whole, when
                # The 360 view's facts, from the stored checkpoint's standing and the signals after it.
                assert facts_at(customer=customer, at=when) == whole, when
        assert CustomerFoldState.objects.filter(customer=customer).exists()
        end = at + dt.timedelta(days=max([0, *asks]))
        stage_bring_up_to(customer=customer, at=end)
        stepwise = _history(customer)
        # The same history derived from the start in one go, with no stored state.
        StageTransition.objects.filter(customer=customer).delete()
        CustomerStage.objects.filter(customer=customer).delete()
        CustomerFoldState.objects.filter(customer=customer).delete()
        stage_bring_up_to(customer=customer, at=end)
        assert _history(customer) == stepwise
    finally:
        Customer.objects.all().delete()
