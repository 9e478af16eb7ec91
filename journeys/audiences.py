"""A campaign's audience: an expression in the "audience" context (the customer facts), read set-based.

The audience is the customers whose stored facts row (CustomerFacts, with their stored stage) the expression
holds for at `at`, the "days since" facts and days_in_stage counted to `at`: the same columns the principles'
live match count reads (`membrane.stored_facts`), so a campaign's count and a principle's never disagree on
what a fact means. A customer never evaluated has no stored row and is in no audience.

`audience_check` is for an audience being written (the vocabularies' keys as they are now);
`audience_q`, `audience_members`, `audience_count` and `audience_filter_sql` read a stored audience,
checked by type alone, so a stage or team removed since never makes a saved campaign unreadable.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

from cxcore.models import CustomerFacts
from membrane.catalogue import fact_types_for, facts_for
from membrane.expressions import Checked, ExpressionError, Problem, check, compile_sql
from membrane.principles.conditions import ConditionError
from membrane.principles.impact import condition_match_count
from membrane.stored_facts import stored_fact_columns

CONTEXT = "audience"


def audience_check(expression: str) -> Checked:
    """An audience being written, checked against the facts and the vocabularies' keys now; ConditionError
    (every problem with line, column, message, suggestion) if invalid."""
    return _checked(expression, facts_for(CONTEXT))


def _checked(expression, facts) -> Checked:
    if not isinstance(expression, str):
        raise ConditionError([Problem(1, 1, "must be a string: an expression")])
    try:
        return check(expression, facts)
    except ExpressionError as error:
        raise ConditionError(list(error.problems)) from None


def audience_q(*, expression: str, at: dt.datetime) -> Q:
    """The audience as a filter on a CustomerFacts queryset."""
    return compile_sql(_checked(expression, fact_types_for(CONTEXT)), stored_fact_columns(at=at))


def audience_members(*, expression: str, at: dt.datetime | None = None) -> QuerySet[CustomerFacts]:
    """The stored fact rows of the audience at `at` (default now)."""
    return CustomerFacts.objects.order_by().filter(audience_q(expression=expression, at=at or timezone.now()))


def audience_count(*, expression: str, at: dt.datetime | None = None) -> int:
    """How many customers the audience holds at `at` (default now); ConditionError if the expression is invalid.

    The principles' live match count in the audience context: one counting statement over the stored rows.
    """
    return condition_match_count(condition=expression, context=CONTEXT, at=at)


def audience_filter_sql(*, expression: str, at: dt.datetime, alias: str = "cf") -> tuple[str, list]:
    """The audience as a SQL predicate on a stored-facts row aliased `alias` (any row with a customer_id
    column will do): `alias.customer_id IN (the audience's customer ids)`, with its parameters.

    Self-contained, so a hand-written statement (the preview's GROUP BY, the conflicts' pairwise
    intersections) can AND it in whatever it joins; the database turns it into a semi-join.
    """
    members = audience_members(expression=expression, at=at).values("customer_id")
    sql, params = members.query.sql_with_params()
    return f'{alias}."customer_id" IN ({sql})', list(params)
