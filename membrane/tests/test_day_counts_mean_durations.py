"""A day count is the exact time elapsed: 3 days and 10 hours in crisis is more than three days.

`days_in_stage > 3` (and every day count compared with a number) holds once more than 3 x 24 hours
have passed, in the expression language's two back-ends, in the decision API, in the set-based full
run and in event time, whose transition happens just after the start + 3 days, not a day later.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db.models import BigIntegerField, BooleanField, Case, ExpressionWrapper, F, Value, When
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from cxcore.facts.days import DayCount, day_count
from cxcore.facts.per_customer import facts_for_customer
from cxcore.facts.set_based import facts_compute_all
from cxcore.facts.sql import DAY_US
from cxcore.models import Customer, CustomerFacts
from membrane.catalogue import fact_types_for
from membrane.expressions import ExpressionError, FactSpec, check, compile_python, compile_sql
from membrane.models import CustomerStage, StageTransition
from membrane.runs.services import stages_evaluate_all
from membrane.stages.one_customer import stage_bring_up_to
from membrane.stored_facts import stored_fact_columns

from .principles_support import draft, publish
from .stage_helpers import DAY, NOW, ingest, publish_rules

pytestmark = pytest.mark.django_db

HOUR, US = DAY / 24, dt.timedelta(microseconds=1)
OPENED = NOW - 10 * DAY
# In crisis since OPENED: 3 days and 10 hours later.
LATER = OPENED + 3 * DAY + 10 * HOUR
# A stage held more than three days moves on; `stage` in a rule is the stage held before.
MORE_THAN_THREE_DAYS = [
    ("at_risk", 'stage == "at_risk" or (stage == "crisis" and days_in_stage > 3)'),
    ("crisis", "open_tickets > 0"),
]


def _in_crisis(external_id: str, opened: dt.datetime) -> Customer:
    ingest(external_id, "ticket_opened", opened, ticket_ref="T1", issue_key="terminal")
    return Customer.objects.get(external_id=external_id)


def _transitions(customer: Customer) -> list[tuple]:
    return list(
        StageTransition.objects.filter(customer=customer).order_by("at").values_list("at", "from_stage", "to_stage")
    )


def test_a_day_count_is_the_exact_duration_shown_in_whole_days():
    held = day_count(OPENED, LATER)
    assert held > 3 and held >= 3 and not held > Decimal("3.42") and held < 4
    # == compares whole days (the fourth day), and the count shows its whole days, in JSON too.
    assert held == 3 and held != 4 and str(held) == "3" and held.us == (3 * 24 + 10) * 3_600_000_000
    assert not day_count(OPENED, OPENED + 3 * DAY) > 3 and day_count(OPENED, OPENED + 3 * DAY + US) > 3


def test_more_than_three_days_holds_at_three_days_and_ten_hours_in_both_back_ends():
    facts = fact_types_for("stage_rule")
    row = {"stage": "crisis", "days_in_stage": day_count(OPENED, LATER)}
    holds = compile_python(check('stage == "crisis" and days_in_stage > 3', facts))
    assert holds(row)
    assert not holds({**row, "days_in_stage": day_count(OPENED, OPENED + 3 * DAY)})
    # A principle's example gives a number of days: exactly that long.
    assert holds({"stage": "crisis", "days_in_stage": 4}) and not holds({"stage": "crisis", "days_in_stage": 3})


@pytest.mark.parametrize(
    ("condition", "flips"),
    [
        ("days_since_oldest_open_ticket > 3", 3 * DAY + US),
        ("days_since_oldest_open_ticket >= 3", 3 * DAY),
        ("days_since_oldest_open_ticket > 2.5", 2 * DAY + 12 * HOUR + US),
        ("not (days_since_oldest_open_ticket < 2.5)", 2 * DAY + 12 * HOUR),
    ],
)
def test_event_time_moves_when_a_day_count_passes_its_constant_not_a_day_later(condition, flips):
    publish_rules([("at_risk", condition), ("crisis", "open_tickets > 0")], default="active")
    customer = _in_crisis("m", OPENED)
    stage_bring_up_to(customer=customer, at=LATER)
    assert _transitions(customer) == [(OPENED, None, "crisis"), (OPENED + flips, "crisis", "at_risk")]


def test_event_time_leaves_crisis_just_after_three_days_in_it():
    publish_rules(MORE_THAN_THREE_DAYS, default="active")
    customer = _in_crisis("m", OPENED)
    stage_bring_up_to(customer=customer, at=LATER)
    assert _transitions(customer) == [(OPENED, None, "crisis"), (OPENED + 3 * DAY + US, "crisis", "at_risk")]


def test_the_full_run_moves_a_customer_three_days_and_ten_hours_in_crisis_and_not_one_three_days_in_it():
    publish_rules(MORE_THAN_THREE_DAYS, default="active")
    opened = {"longer": LATER - 3 * DAY - 10 * HOUR, "exactly": LATER - 3 * DAY}
    longer, exactly = (_in_crisis(external_id, at) for external_id, at in opened.items())
    for customer in (longer, exactly):
        stage_bring_up_to(customer=customer, at=opened[customer.external_id] + HOUR)
    assert set(CustomerStage.objects.values_list("stage", flat=True)) == {"crisis"}

    stages_evaluate_all(as_of=LATER)

    assert dict(CustomerStage.objects.values_list("customer__external_id", "stage")) == {
        "longer": "at_risk",
        "exactly": "crisis",
    }
    moved = StageTransition.objects.get(customer=longer, at=LATER)
    # The transition records the day count's whole days, as the event-time path writes a DayCount.
    assert moved.facts["days_in_stage"] == 3 and moved.facts["days_since_oldest_open_ticket"] == 3


def _decide(api, make_token, at: dt.datetime) -> dict:
    question = {"customer": "m", "team": "service", "category": "service_update", "channel": "email"}
    response = api(make_token("decide")).post("/api/v1/decisions", {**question, "at": at.isoformat()})
    assert response.status_code == 200, response.content
    return response.json()


def _matched(answer: dict) -> set[str]:
    return {match["principle"] for match in answer["matched"]}


def test_the_decision_api_counts_an_open_ticket_for_more_than_three_days(api, make_token, cx_manager, service_manager):
    version = draft(
        cx_manager,
        title="Call when a ticket is open for more than three days",
        slug="open-more-than-three-days",
        categories=[],
        condition="days_since_oldest_open_ticket > 3",
        effect="prescribe",
        params={"action": "agent_contact", "team": "service", "due_hours": 8, "repeat_days": None},
        priority=0,
        examples=[],
    )
    publish(version, author=cx_manager, reviewer=service_manager)
    _in_crisis("m", OPENED)
    assert "open-more-than-three-days" not in _matched(_decide(api, make_token, OPENED + 3 * DAY))
    answer = _decide(api, make_token, LATER)
    assert "open-more-than-three-days" in _matched(answer)
    assert answer["facts"]["days_since_oldest_open_ticket"] == 3


def test_the_decision_api_offers_the_free_service_after_three_days_and_ten_hours_in_crisis(api, make_token):
    # The reference principle: 'stage == "crisis" and days_in_stage > 3' prescribes a free service.
    _in_crisis("m", OPENED)
    assert "free-service-after-three-days-in-crisis" not in _matched(_decide(api, make_token, OPENED + 3 * DAY))
    answer = _decide(api, make_token, LATER)
    assert answer["stage"] == "crisis" and answer["facts"]["days_in_stage"] == 3
    assert "free-service-after-three-days-in-crisis" in _matched(answer)


# Around the boundaries: whole days, half days, a microsecond either side.
BASES_US = (0, DAY_US // 2, DAY_US, 2 * DAY_US + DAY_US // 2, 3 * DAY_US)
BOUNDARY_US = sorted({max(0, base + jitter) for base in BASES_US for jitter in (-1, 0, 1)})
NUMBERS = ["0", "1", "2", "3", "4", "0.5", "2.5", "3.0", "0.000001", "2.999999999999"]
OPS = ["<", "<=", ">", ">=", "==", "!="]


@st.composite
def day_conditions(draw):
    op = draw(st.sampled_from([*OPS, "in", "not in", "facts"]))
    if op in ("in", "not in"):
        items = draw(st.lists(st.sampled_from(["0", "1", "2", "3"]), max_size=3))
        return f"a {op} [{', '.join(items)}]"
    if op == "facts":
        return f"a {draw(st.sampled_from(OPS))} b"
    number = draw(st.sampled_from(NUMBERS))
    if op in ("==", "!=") and Decimal(number) != Decimal(number).to_integral_value():
        op = ">"
    sides = ["a", number]
    if draw(st.booleans()):
        sides.reverse()
    return f"{sides[0]} {op} {sides[1]}"


DAY_FACTS = {"a": FactSpec("a", "int", days=True), "b": FactSpec("b", "int", days=True)}
ROWS = 4


@pytest.mark.django_db
def test_python_and_sql_agree_on_day_counts_around_their_boundaries():
    pks = [Customer.objects.create(external_id=f"days-{i}").pk for i in range(ROWS)]

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        conditions=st.lists(day_conditions(), min_size=1, max_size=3),
        joiner=st.sampled_from([" and ", " or "]),
        rows=st.lists(
            st.fixed_dictionaries(
                {"a": st.one_of(st.none(), st.sampled_from(BOUNDARY_US)), "b": st.sampled_from(BOUNDARY_US)}
            ),
            min_size=ROWS,
            max_size=ROWS,
        ),
    )
    def agree(conditions, joiner, rows):
        source = joiner.join(f"({c})" for c in conditions)
        note(f"{source} over {rows}")
        checked = check(source, DAY_FACTS)
        holds = compile_python(checked)
        expected = {
            pk
            for pk, row in zip(pks, rows, strict=True)
            if holds({name: None if us is None else DayCount(us) for name, us in row.items()})
        }
        columns = {
            name: Case(
                *(
                    When(pk=pk, then=Value(row[name], output_field=BigIntegerField()))
                    for pk, row in zip(pks, rows, strict=True)
                    if row[name] is not None
                ),
                default=Value(None, output_field=BigIntegerField()),
                output_field=BigIntegerField(),
            )
            for name in DAY_FACTS
        }
        queryset = Customer.objects.filter(pk__in=pks).annotate(**{f"x_{name}": c for name, c in columns.items()})
        sql = compile_sql(checked, {name: F(f"x_{name}") for name in DAY_FACTS})
        assert set(queryset.filter(sql).values_list("pk", flat=True)) == expected
        annotated = queryset.annotate(holds=ExpressionWrapper(sql, output_field=BooleanField()))
        assert {pk for pk, h in annotated.values_list("pk", "holds") if h} == expected

    agree()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    days=st.sampled_from([0, 1, 2, 3]),
    jitter_us=st.sampled_from([-1, 0, 1, 36_000_000_000]),
    condition=st.sampled_from(
        [f"days_since_oldest_open_ticket {op} {n}" for op in OPS for n in ("2", "3")]
        + [f"days_since_oldest_open_ticket {op} 2.5" for op in ("<", "<=", ">", ">=")]
        + ["days_since_oldest_open_ticket in [2, 3]", "tenure_days > 3", "tenure_days == 3"]
    ),
)
def test_the_stored_facts_and_the_facts_of_one_customer_agree_around_the_boundaries(days, jitter_us, condition):
    """The per-customer facts (a DayCount from the signals) and the stored row read in SQL (DaysSince)."""
    at = OPENED + days * DAY + dt.timedelta(microseconds=jitter_us)
    if at < OPENED:
        return
    customer = Customer.objects.create(external_id="edge")
    Customer.objects.filter(pk=customer.pk).update(created_at=OPENED)
    customer.refresh_from_db()
    try:
        ingest("edge", "ticket_opened", OPENED, ticket_ref="T1", issue_key="terminal")
        facts_compute_all(at=at, customer_ids=[customer.pk])
        checked = check(condition, fact_types_for("audience"))
        in_python = compile_python(checked)(facts_for_customer(customer=customer, at=at))
        in_sql = CustomerFacts.objects.filter(customer=customer).filter(
            compile_sql(checked, stored_fact_columns(at=at))
        )
        assert in_sql.exists() == in_python, (condition, at - OPENED)
    finally:
        Customer.objects.filter(pk=customer.pk).delete()


def test_a_day_count_compared_with_a_fact_that_is_not_one_is_refused_with_a_suggestion():
    facts = fact_types_for("stage_rule")
    for source, message in [
        ("days_in_stage > open_tickets", "'days_in_stage' is a day count (a duration) but 'open_tickets' is not"),
        ("days_in_stage == 2.5", "'==' compares whole days, and 2.5 is not a whole number"),
        ("tenure_days in [1, 1.5]", "'in' compares whole days, and 1.5 is not a whole number"),
    ]:
        with pytest.raises(ExpressionError) as raised:
            check(source, facts)
        assert message in raised.value.problems[0].message
    assert check("days_in_stage > days_since_last_purchase", facts).facts_read == [
        "days_in_stage",
        "days_since_last_purchase",
    ]
