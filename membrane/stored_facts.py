"""The facts a condition reads, as SQL columns over the stored rows: CustomerFacts joined with the stored stage.

The set-based readers of conditions (the actions' sync of everyone, the principles' live match count and
impact preview) compile a condition with `membrane.expressions.compile_sql` over these columns. The
stored rows give the facts at `at` when they were computed for it (`cxcore.facts.selectors.facts_valid_at`);
the "days since" facts and days_in_stage are counted to `at` either way.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, CharField, IntegerField, Value, When

from cxcore.facts.selectors import fact_expressions
from cxcore.models import Customer
from membrane.decisions.facts import interaction_context
from membrane.stages.facts import stage_fact_columns

# The interaction facts that depend on the customer's timezone.
LOCAL_TIME = ("local_hour", "weekday")


def stored_fact_columns(*, at: dt.datetime) -> dict:
    """Every customer fact (cxcore's and the stage facts) at `at`, as expressions for a CustomerFacts queryset."""
    columns: dict = fact_expressions(at=at, prefix="")
    columns.update(stage_fact_columns(as_of=at))
    return columns


def local_time_columns(*, at: dt.datetime, timezones) -> dict:
    """local_hour and weekday at `at` for a CustomerFacts queryset, one CASE branch per customer timezone.

    Each timezone's hour and weekday are worked out by the decision's own `interaction_context` (an
    unknown timezone counts as UTC there), so the SQL and a decision never disagree on them.
    """
    hours, weekdays = [], []
    for name in sorted(set(timezones)):
        local = interaction_context(customer=Customer(timezone=name), interaction=None, at=at)
        hours.append(When(customer__timezone=name, then=Value(local["local_hour"])))
        weekdays.append(When(customer__timezone=name, then=Value(local["weekday"])))
    utc = interaction_context(customer=Customer(timezone="UTC"), interaction=None, at=at)
    return {
        "local_hour": Case(*hours, default=Value(utc["local_hour"]), output_field=IntegerField()),
        "weekday": Case(*weekdays, default=Value(utc["weekday"]), output_field=CharField()),
    }


def customer_timezones() -> list[str]:
    """The timezones customers are in (for local_time_columns)."""
    return list(Customer.objects.order_by().values_list("timezone", flat=True).distinct())
