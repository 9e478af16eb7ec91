"""Stage evaluation set-based, for a range of customers at once (DESIGN.md section 6).

Time alone moves customers (a ticket open for more than three days): a full run (runs.services)
evaluates everyone as of T, a range of customer ids at a time. For each range, the stored facts are
brought to T (cxcore's facts_refresh); then, on PostgreSQL in one statement, the rules compiled to a
CASE over them and the writes of the transitions and the stored stages (on SQLite, three). A
customer already brought past T is left alone, and transitions are unique per (customer, at), so a
repeated range loses and duplicates nothing. Between two scheduled runs, such time-driven changes
are stamped at the run's as_of; the event-time path (event_time.py) stamps them exactly whenever it
reaches the customer first. The rules mean the same on both paths: first matching rule wins; `stage`
in a rule is the stage held before.

The statements are pyformat (`%(at)s`) like cxcore's facts SQL, whose parameters they share
(facts_params), and differ by database only through cxcore's Dialect.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import product
from typing import Any

from django.db import connection
from django.db.models import BigIntegerField, CharField, DateTimeField, Expression, IntegerField, Value
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from cxcore.facts.catalogue import CXCORE_FACTS
from cxcore.facts.days import DaysSince
from cxcore.facts.folds import Tenure
from cxcore.facts.set_based import facts_params, facts_refresh, stored_facts_sql
from cxcore.facts.sql import DAY_US, Dialect
from cxcore.models import Customer, CustomerFacts
from membrane.models import CustomerStage, StageTransition

from .event_time import ForRun, bring_up_locked
from .facts import STAGE_DAY_FACT
from .history import STAGE_COLUMNS, STAGE_UPSERT, TRANSITION_COLUMNS
from .rules import CompiledRuleSet

# Beyond this many stages held before, a customer evaluated for the first time is left to event time
# without looking for a stage that makes the rules answer otherwise (see _first_contexts).
MAX_FIRST_CONTEXTS = 64

# The stored column of the start of tenure (the Tenure fold's): a customer begins there.
TENURE_START = next(fact.column for fact in CXCORE_FACTS if isinstance(fact.fold, Tenure))


def _pyformat(sql: str, params: Sequence[Any], prefix: str) -> tuple[str, dict[str, Any]]:
    """SQL that Django compiled (`%s` placeholders, `%%` a percent sign) in the statements' pyformat style, its
    parameters named `prefix`0, `prefix`1, ...

    The rules compile to SQL through Django's expressions (expressions.to_sql, shared with the principles
    and audiences), and Django writes only `%s`. That style is Python's own %-formatting, so the
    placeholders are named by formatting the SQL with them, its percent signs doubled first to stay one.
    """
    names = [f"{prefix}{n}" for n in range(len(params))]
    named = sql.replace("%%", "%%%%") % tuple(f"%({name})s" for name in names)
    return named, dict(zip(names, params, strict=True))


def _compiled(expression: Expression, prefix: str) -> tuple[str, dict[str, Any]]:
    """A Django expression over the statements' aliases as pyformat SQL and its parameters."""
    query = Query(CustomerFacts)
    sql, params = query.get_compiler(connection=connection).compile(expression.resolve_expression(query))
    return _pyformat(sql, params, prefix)


def _rules_case_sql(
    *,
    ruleset: CompiledRuleSet,
    alias: str,
    stage: str | Expression,
    previous: str | Expression,
    days_in_stage: Expression,
    prefix: str,
) -> tuple[str, dict[str, Any]]:
    """The rules as one SQL CASE over the fact columns of `alias`, with the given SQL (or expressions) for
    `stage` and `previous_stage` and the expression for `days_in_stage`."""
    fields = {field.name: field for field in CustomerFacts._meta.get_fields() if hasattr(field, "column")}
    columns: dict[str, Any] = {
        # A day fact is stored as an instant; in `alias` it is the day count (its microseconds).
        fact.name: RawSQL(f"{alias}.{fact.name}", (), output_field=fields.get(fact.name, IntegerField()))
        for fact in CXCORE_FACTS
    }
    columns.update(
        stage=RawSQL(stage, (), output_field=CharField()) if isinstance(stage, str) else stage,
        previous_stage=RawSQL(previous, (), output_field=CharField()) if isinstance(previous, str) else previous,
        days_in_stage=days_in_stage,
    )
    return _compiled(ruleset.sql_case(columns), prefix)


def _rules_keep_sql(ruleset: CompiledRuleSet, alias: str) -> tuple[str | None, dict[str, Any]]:
    """Whether the rules keep `alias`.new_stage as it begins (entered from `alias`.old_stage, zero days in it:
    settled, as instants.stage_settled has it), as an SQL condition; None when no rule reads what the stage
    was, for then they always keep it."""
    if not ruleset.follows_up:
        return None, {}
    keeps, params = _rules_case_sql(
        ruleset=ruleset,
        alias=alias,
        stage=f"{alias}.new_stage",
        previous=f"{alias}.old_stage",
        days_in_stage=Value(0, output_field=IntegerField()),
        prefix="settled",
    )
    return f"({keeps}) = {alias}.new_stage", params


def _first_contexts(ruleset: CompiledRuleSet) -> list[tuple[str | None, str | None, int | None]] | None:
    """Every stage held before (stage, previous_stage, days_in_stage in microseconds) that the rules can tell
    apart, the first one none; None when there are more than MAX_FIRST_CONTEXTS.

    A customer evaluated for the first time holds no stage here, but in event time their history began
    at the start of their tenure, so at `as_of` they hold whatever stage it led to: rules reading the stage
    held can answer otherwise (stage in ["crisis", "at_risk"] -> at_risk after a crisis). Where the rules
    give one answer whatever is held, that answer is event time's; elsewhere only the history tells. A
    stage held before is any the rules give; a day count only crosses the rules' constants at
    stage_day_offsets, so one value per interval between them stands for all. Stages the history cannot
    reach are tried too: a customer wrongly found undecided is only evaluated in event time.
    """
    read = ruleset.facts_read
    stages = sorted({rule.stage for rule in ruleset.rules} | {ruleset.default_stage})
    held = [None, *stages] if "stage" in read else [None]
    previous = [None, *stages] if "previous_stage" in read else [None]
    days = [None, 0, *(round(offset * DAY_US) for offset in ruleset.stage_day_offsets)]
    days = days if STAGE_DAY_FACT in read else [None]
    if len(held) * len(previous) * len(days) > MAX_FIRST_CONTEXTS:
        return None
    return [(None, None, None), *(c for c in product(held, previous, days) if c != (None, None, None))]


def _undecided_sql(ruleset: CompiledRuleSet, d: Dialect) -> tuple[str, dict[str, Any]]:
    """SQL over `st` (the held facts and `new_stage`, the rules' answer) true for a customer holding no stage whose
    stage the rules give only from their history (see _first_contexts): the set-based run leaves them to event
    time. Each other stage held is one more CASE compared with the answer, on the rows holding none only."""
    if not ruleset.follows_up:
        return ("FALSE" if d.postgresql else "0"), {}
    contexts = _first_contexts(ruleset)
    if contexts is None:
        return "st.old_stage IS NULL", {}
    cases, params = [], {}
    for n, (stage, previous, days) in enumerate(contexts[1:], start=1):
        case, case_params = _rules_case_sql(
            ruleset=ruleset,
            alias="st",
            stage=Value(stage, output_field=CharField()),
            previous=Value(previous, output_field=CharField()),
            days_in_stage=Value(days, output_field=BigIntegerField()),
            prefix=f"first{n}_",
        )
        cases.append(case)
        params.update(case_params)
    differs = " OR ".join(f"({case}) <> st.new_stage" for case in cases)
    return f"CASE WHEN st.old_stage IS NULL THEN {differs} ELSE FALSE END", params


def _days_since(column: str, *, at: dt.datetime) -> DaysSince:
    return DaysSince(RawSQL(column, (), output_field=DateTimeField()), at=at)


def _transitions_insert(changes: str) -> str:
    """The transitions of the changes `changes` (`ch`'s columns); a repeated one is skipped.

    (`WHERE 1 = 1` tells SQLite's parser that ON CONFLICT is not a join's ON.)
    """
    return f"""INSERT INTO {StageTransition._meta.db_table} ({", ".join(TRANSITION_COLUMNS)})
        SELECT customer_id, old_stage, new_stage, %(at)s, facts, %(ruleset_number)s, %(run_id)s, %(now)s
        FROM {changes} WHERE 1 = 1 ON CONFLICT DO NOTHING"""


def _stages_upsert(changes: str) -> str:
    """The stored stages of the changes `changes`; one another path brought further is left alone."""
    stages = CustomerStage._meta.db_table
    return f"""INSERT INTO {stages} ({", ".join(STAGE_COLUMNS)})
        SELECT customer_id, new_stage, %(at)s, old_stage, %(at)s, %(ruleset_number)s, settled FROM {changes} WHERE 1 = 1
        {STAGE_UPSERT} WHERE {stages}.evaluated_through < excluded.evaluated_through"""


def stage_statements(*, ruleset: CompiledRuleSet, as_of: dt.datetime) -> tuple[list[str], dict[str, Any]]:
    """The statements evaluating and storing the stages of the customers lo <= id < hi as of `as_of`, and
    their parameters (those of facts_params, lo, hi, run_id and the rules' own).

    `sn` reads each customer's facts at `as_of` from CustomerFacts (which the caller has brought to
    `as_of`) with the stage held, leaving alone the customers already brought past `as_of` and those
    whose relationship has not begun by then (created, or first heard of, later: the event-time path
    starts a history there too, so a replay of imported data gives nobody a stage before it), and runs
    the rules' CASE over them, marking those holding no stage whose stage only their history gives
    (`undecided`: _undecided_sql); `ch` is the others whose stage changes, with the facts that made
    it and whether the rules keep the new stage as it begins (settled, as instants.stage_settled has
    it). The transitions and stored stages are written from `ch` in the database, set-based. The last
    statement answers (customers evaluated, transitions, the undecided customers' ids: an array on
    PostgreSQL, a comma-separated text on SQLite). On PostgreSQL this is one statement; on SQLite,
    which has no INSERT in a WITH, three, each evaluating the rules again (stored stages change only
    in the last).
    """
    d = Dialect(connection.vendor)
    case, params = _rules_case_sql(
        ruleset=ruleset,
        alias="st",
        stage="st.old_stage",
        previous="st.old_previous",
        days_in_stage=_days_since("st.old_since", at=as_of),
        prefix="rule",
    )
    keeps, keeps_params = _rules_keep_sql(ruleset, "sn")
    settled = keeps or ("TRUE" if d.postgresql else "1")
    params.update(keeps_params)
    undecided, undecided_params = _undecided_sql(ruleset, d)
    params.update(undecided_params)
    names = [fact.name for fact in CXCORE_FACTS]
    facts = stored_facts_sql(d.vendor, "f")
    days_sql, days_params = _compiled(_days_since("sn.old_since", at=as_of), "days")
    params.update(days_params)
    held = f"""SELECT f.customer_id, {", ".join(f"{facts[name]} AS {name}" for name in names)},
            cs.stage AS old_stage, cs.since AS old_since, cs.previous_stage AS old_previous
        FROM {CustomerFacts._meta.db_table} f LEFT JOIN {CustomerStage._meta.db_table} cs
            ON cs.customer_id = f.customer_id AND cs.customer_id >= %(lo)s AND cs.customer_id < %(hi)s
        WHERE f.customer_id >= %(lo)s AND f.customer_id < %(hi)s AND f.{TENURE_START} <= %(at)s
            AND (cs.customer_id IS NULL OR cs.evaluated_through < %(at)s)"""
    # A day count shows its whole days, as in Python (cxcore.facts.days.DayCount).
    days = {fact.name for fact in CXCORE_FACTS if fact.counts_days}
    facts_json = ", ".join(
        [f"'{name}', {d.whole_days(f'sn.{name}') if name in days else f'sn.{name}'}" for name in names]
        + [
            "'stage', sn.old_stage",
            "'previous_stage', sn.old_previous",
            f"'days_in_stage', {d.whole_days(days_sql)}",
        ]
    )
    facts_doc = f"jsonb_build_object({facts_json})" if d.postgresql else f"json_object({facts_json})"
    # OFFSET 0 keeps PostgreSQL from pulling the subquery up: each reference to a fact or to new_stage in the
    # CASEs of `undecided` would compute its expression again (the whole rules' CASE for new_stage).
    answered = f"SELECT st.*, {case} AS new_stage FROM ({held}) st{' OFFSET 0' if d.postgresql else ''}"
    ctes = f"""sn AS (SELECT st.*, {undecided} AS undecided FROM ({answered}) st),
        ch AS (SELECT sn.customer_id, sn.old_stage, sn.new_stage, {facts_doc} AS facts, {settled} AS settled
            FROM sn WHERE NOT sn.undecided AND (sn.old_stage IS NULL OR sn.old_stage <> sn.new_stage))"""
    ids = "array_agg(customer_id)" if d.postgresql else "group_concat(customer_id)"
    counts = f"""SELECT (SELECT count(*) FROM sn WHERE NOT sn.undecided), (SELECT count(*) FROM ch),
        (SELECT {ids} FROM sn WHERE sn.undecided)"""
    params["ruleset_number"] = ruleset.number
    if d.postgresql:
        statement = f"""WITH {ctes},
            written AS ({_transitions_insert("ch")}),
            stored AS ({_stages_upsert("ch")})
            {counts}"""
        return [statement], params
    changes = f"(WITH {ctes} SELECT * FROM ch) ch"
    return [_transitions_insert(changes), f"WITH {ctes} {counts}", _stages_upsert(changes)], params


def stages_evaluate_range(
    *, lo: int, hi: int, as_of: dt.datetime, ruleset: CompiledRuleSet, run: ForRun | None
) -> tuple[int, int, int]:
    """Facts and stages of the customers lo <= id < hi as of `as_of` (in the caller's transaction); returns
    (customers evaluated, transitions, facts computed again).

    The stored facts are brought to `as_of` first (only those that time or new signals changed are
    computed again from the signals); then the rules, compiled to one CASE over them, give each
    customer's stage, and only the changes are written, all in the database. An unchanged
    customer's stored stage keeps its evaluated_through: the event-time path goes on from there
    when it needs to, exactly. Those evaluated for the first time whose stage only their history gives
    (stage_statements) are brought up to `as_of` in event time instead, their rows locked, as a decision
    would: a loop in Python, but over them only, on a first run, and none when the rules read no stage.
    """
    refreshed = facts_refresh(at=as_of, id_range=(lo, hi))
    params = facts_params(connection.vendor, at=as_of)
    params.update(lo=lo, hi=hi, run_id=run.run_id if run is not None else None)
    statements, stage_params = stage_statements(ruleset=ruleset, as_of=as_of)
    params.update(stage_params)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JIT compiling the CASE costs more than it saves per chunk.
            cursor.execute("SET LOCAL jit = off")
        for statement in statements:
            cursor.execute(statement, params)
            if cursor.description:
                customers, transitions, undecided = cursor.fetchone()
    if undecided:
        ids = sorted(int(pk) for pk in (undecided.split(",") if isinstance(undecided, str) else undecided))
        locked = list(Customer.objects.select_for_update(no_key=True).filter(pk__in=ids).order_by("pk"))
        states, by_event_time = bring_up_locked(customers=locked, at=as_of, ruleset=ruleset, run=run)
        customers, transitions = customers + len(states), transitions + by_event_time
    return customers, transitions, refreshed


def stage_moves(*, ruleset: CompiledRuleSet, at: dt.datetime) -> list[tuple[str | None, str, int]]:
    """(stage held, stage under `ruleset`, customers) over everyone whose relationship has begun by `at`, from
    their stored facts and stages: how a draft of the stage rules would move the population if published now.

    The stored facts are read as they are (as of the last run, their day counts as of `at`): a preview, set-based
    in one GROUP BY, not an evaluation; publishing queues the full run that brings everyone to the new rules.
    """
    d = Dialect(connection.vendor)
    case, params = _rules_case_sql(
        ruleset=ruleset,
        alias="st",
        stage="st.old_stage",
        previous="st.old_previous",
        days_in_stage=_days_since("st.old_since", at=at),
        prefix="rule",
    )
    params.update(facts_params(d.vendor, at=at))
    names = [fact.name for fact in CXCORE_FACTS]
    facts = stored_facts_sql(d.vendor, "f")
    held = f"""SELECT {", ".join(f"{facts[name]} AS {name}" for name in names)},
            cs.stage AS old_stage, cs.since AS old_since, cs.previous_stage AS old_previous
        FROM {CustomerFacts._meta.db_table} f LEFT JOIN {CustomerStage._meta.db_table} cs
            ON cs.customer_id = f.customer_id
        WHERE f.{TENURE_START} <= %(at)s"""
    statement = f"SELECT st.old_stage, {case} AS new_stage, count(*) FROM ({held}) st GROUP BY 1, 2"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return [(old, new, n) for old, new, n in cursor.fetchall()]
