"""A campaign's audience: an expression in the "audience" context (the customer facts), read set-based.

The audience is the customers whose stored facts row (CustomerFacts, with their stored stage) the expression
holds for at `at`, the "days since" facts and days_in_stage counted to `at`: the same columns the principles'
live match count reads (`membrane.stored_facts`), so a campaign's count and a principle's never disagree on
what a fact means. A customer never evaluated has no stored row and is in no audience.

`audience_check` is for an audience being written (the vocabularies' keys as they are now);
`audience_q`, `audience_members`, `audience_count` and `audience_filter_sql` read a stored audience,
checked by type alone, so a stage or team removed since never makes a saved campaign unreadable.

A campaign with a list (journeys.audience_lists) has the listed customers its expression holds for:
`campaign_audience_q` is that rule, written once for every reader of a campaign's audience.
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

from .audience_lists import Staged, list_q, list_staged
from .models import Campaign

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
    # The stored stage joined to the facts row directly, as the preview's decision columns join it: a statement
    # reading both joins it once, and the customers table only when something else needs it.
    return compile_sql(_checked(expression, fact_types_for(CONTEXT)), stored_fact_columns(at=at, direct=True))


def campaign_audience_q(campaign: Campaign, *, at: dt.datetime) -> Q:
    """The campaign's audience as a filter on a CustomerFacts queryset: its expression, ANDed with its list
    when it has one."""
    q = audience_q(expression=campaign.audience, at=at)
    return q & list_q(campaign) if campaign.audience_list_size else q


def audience_members(*, expression: str, at: dt.datetime | None = None) -> QuerySet[CustomerFacts]:
    """The stored fact rows of the audience at `at` (default now)."""
    return CustomerFacts.objects.order_by().filter(audience_q(expression=expression, at=at or timezone.now()))


def audience_count(*, expression: str, at: dt.datetime | None = None) -> int:
    """How many customers the audience holds at `at` (default now); ConditionError if the expression is invalid.

    The principles' live match count in the audience context: one counting statement over the stored rows.
    """
    return condition_match_count(condition=expression, context=CONTEXT, at=at)


def listed_audience_count(
    *, expression: str, ids: list[str] | None = None, campaign: Campaign | None = None, at: dt.datetime | None = None
) -> tuple[int, Staged | None]:
    """How many listed customers the expression holds for at `at` (default now): of `ids` being written (staged,
    with their unknown ones) or of `campaign`'s stored list. ConditionError if the expression is invalid."""
    q = audience_q(expression=expression, at=at or timezone.now())
    if ids:
        with list_staged(ids) as staged:
            return CustomerFacts.objects.filter(q, customer_id__in=Staged.known_ids()).count(), staged
    return CustomerFacts.objects.filter(q & list_q(campaign)).count(), None


def audience_filter_sql(*, expression: str, at: dt.datetime, alias: str = "cf") -> tuple[str, list]:
    """The audience as a SQL predicate on a stored-facts row aliased `alias` (any row with a customer_id
    column will do): `alias.customer_id IN (the audience's customer ids)`, with its parameters.

    Self-contained, so a hand-written statement (the preview's GROUP BY, the conflicts' pairwise
    intersections) can AND it in whatever it joins; the database turns it into a semi-join.
    """
    members = audience_members(expression=expression, at=at).values("customer_id")
    sql, params = members.query.sql_with_params()
    return f'{alias}."customer_id" IN ({sql})', list(params)
