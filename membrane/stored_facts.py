"""The facts a condition reads, as SQL columns over the stored rows: CustomerFacts joined with the stored stage.

The set-based readers of conditions (the actions' sync of everyone, the principles' live match count and
impact preview) compile a condition with `membrane.expressions.compile_sql` over these columns. The
stored rows give the facts at `at` when they were computed for it (`cxcore.facts.selectors.facts_valid_at`);
the "days since" facts and days_in_stage are counted to `at` either way.

Both stored rows are keyed by the customer's id, so the stage joins the facts directly through
`STORED_STAGE`, a relation membrane adds to CustomerFacts when it loads (cxcore knows nothing of stages):
over a million customers, going through the customers table as well doubles the cost of the scan. What
only the customers table holds (consent, timezone) can then be joined for the rows a filter keeps.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import DO_NOTHING, Case, CharField, ForeignObject, IntegerField, Value, When

from cxcore.facts.selectors import fact_expressions
from cxcore.models import Customer, CustomerFacts
from membrane.decisions.facts import interaction_context
from membrane.models import CustomerStage
from membrane.stages.facts import stage_fact_columns

# The interaction facts that depend on the customer's timezone.
LOCAL_TIME = ("local_hour", "weekday")
# CustomerFacts -> CustomerStage by customer id (null: a customer not evaluated yet has no stored stage).
STORED_STAGE = "stored_stage"


def stored_stage_relation_add() -> None:
    """Adds the relation (a private field: no column, no migration); called once, from the app's ready()."""
    if any(field.name == STORED_STAGE for field in CustomerFacts._meta.private_fields):
        return
    relation = ForeignObject(
        CustomerStage,
        on_delete=DO_NOTHING,
        from_fields=["customer"],
        to_fields=["customer"],
        related_name="+",
        null=True,
    )
    relation.contribute_to_class(CustomerFacts, STORED_STAGE, private_only=True)


def stored_fact_columns(*, at: dt.datetime, direct: bool = False) -> dict:
    """Every customer fact (cxcore's and the stage facts) at `at`, as expressions for a CustomerFacts queryset.

    The stage through the customer (as a queryset that filters on the customer already joins it), or,
    `direct`, through STORED_STAGE.
    """
    columns: dict = fact_expressions(at=at, prefix="")
    columns.update(stage_fact_columns(as_of=at, prefix=f"{STORED_STAGE}__" if direct else "customer__stage_state__"))
    return columns


def local_at(*, at: dt.datetime, timezone_name: str) -> tuple[int, str]:
    """The hour and weekday at `at` in a timezone, by the decision's own `interaction_context` (an unknown
    timezone counts as UTC there), so the SQL and a decision never disagree on them."""
    local = interaction_context(customer=Customer(timezone=timezone_name), interaction=None, at=at)
    return local["local_hour"], local["weekday"]


def local_time_columns(*, at: dt.datetime, timezones) -> dict:
    """local_hour and weekday at `at` for a CustomerFacts queryset (joining the customer), one CASE branch
    per customer timezone."""
    utc = local_at(at=at, timezone_name="UTC")
    columns = {}
    for n, (fact, output) in enumerate((("local_hour", IntegerField()), ("weekday", CharField()))):
        branches = [
            When(customer__timezone=name, then=Value(local_at(at=at, timezone_name=name)[n])) for name in timezones
        ]
        columns[fact] = Case(*branches, default=Value(utc[n]), output_field=output)
    return columns


def customer_timezones() -> list[str]:
    """The timezones customers are in (for local_time_columns)."""
    return sorted(set(Customer.objects.order_by().values_list("timezone", flat=True).distinct()))
