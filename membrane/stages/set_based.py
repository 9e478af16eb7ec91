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
from typing import Any

from django.db import connection
from django.db.models import CharField, DateTimeField, Expression, IntegerField, Value
from django.db.models.expressions import RawSQL
from django.db.models.sql import Query

from cxcore.facts.catalogue import CXCORE_FACTS
from cxcore.facts.days import DaysSince
from cxcore.facts.folds import Tenure
from cxcore.facts.set_based import facts_params, facts_refresh, stored_facts_sql
from cxcore.facts.sql import Dialect
from cxcore.models import CustomerFacts
from membrane.models import CustomerStage, StageTransition

from .history import STAGE_COLUMNS, STAGE_UPSERT, TRANSITION_COLUMNS
from .rules import CompiledRuleSet

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
    *, ruleset: CompiledRuleSet, alias: str, stage: str, previous: str, days_in_stage: Expression, prefix: str
) -> tuple[str, dict[str, Any]]:
    """The rules as one SQL CASE over the fact columns of `alias`, with the given SQL for `stage` and
    `previous_stage` and the expression for `days_in_stage`."""
    fields = {field.name: field for field in CustomerFacts._meta.get_fields() if hasattr(field, "column")}
    columns: dict[str, Any] = {
        # A day fact is stored as an instant; in `alias` it is the day count (its microseconds).
        fact.name: RawSQL(f"{alias}.{fact.name}", (), output_field=fields.get(fact.name, IntegerField()))
        for fact in CXCORE_FACTS
    }
    columns.update(
        stage=RawSQL(stage, (), output_field=CharField()),
        previous_stage=RawSQL(previous, (), output_field=CharField()),
        days_in_stage=days_in_stage,
    )
    return _compiled(ruleset.sql_case(columns), prefix)


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
    the rules' CASE over them; `ch` is the customers whose stage changes, with the facts that made
    it and whether the rules keep the new stage as it begins (settled, as instants.stage_settled has
    it). The transitions and stored stages are written from `ch` in the database, set-based. The last
    statement answers (customers evaluated, transitions). On PostgreSQL this is one statement; on
    SQLite, which has no INSERT in a WITH, three, each evaluating the rules again (stored stages
    change only in the last).
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
    if ruleset.follows_up:
        keeps, keeps_params = _rules_case_sql(
            ruleset=ruleset,
            alias="sn",
            stage="sn.new_stage",
            previous="sn.old_stage",
            days_in_stage=Value(0, output_field=IntegerField()),
            prefix="settled",
        )
        settled = f"({keeps}) = sn.new_stage"
        params.update(keeps_params)
    else:
        settled = "TRUE" if d.postgresql else "1"
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
    ctes = f"""sn AS (SELECT st.*, {case} AS new_stage FROM ({held}) st),
        ch AS (SELECT sn.customer_id, sn.old_stage, sn.new_stage, {facts_doc} AS facts, {settled} AS settled
            FROM sn WHERE sn.old_stage IS NULL OR sn.old_stage <> sn.new_stage)"""
    counts = "SELECT (SELECT count(*) FROM sn), (SELECT count(*) FROM ch)"
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
    *, lo: int, hi: int, as_of: dt.datetime, ruleset: CompiledRuleSet, run_id: int | None
) -> tuple[int, int, int]:
    """Facts and stages of the customers lo <= id < hi as of `as_of` (in the caller's transaction); returns
    (customers evaluated, transitions, facts computed again).

    The stored facts are brought to `as_of` first (only those that time or new signals changed are
    computed again from the signals); then the rules, compiled to one CASE over them, give each
    customer's stage, and only the changes are written, all in the database. An unchanged
    customer's stored stage keeps its evaluated_through: the event-time path goes on from there
    when it needs to, exactly.
    """
    refreshed = facts_refresh(at=as_of, id_range=(lo, hi))
    params = facts_params(connection.vendor, at=as_of)
    params.update(lo=lo, hi=hi, run_id=run_id)
    statements, stage_params = stage_statements(ruleset=ruleset, as_of=as_of)
    params.update(stage_params)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # JIT compiling the CASE costs more than it saves per chunk.
            cursor.execute("SET LOCAL jit = off")
        for statement in statements:
            cursor.execute(statement, params)
            if cursor.description:
                customers, transitions = cursor.fetchone()
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
