"""Every customer's stage at a later time if nothing new arrives, set-based: what event time projects for one
customer (event_time._projected), for the whole population in a few statements (DESIGN.md sections 6 and 8).

Event time evaluates the rules at every candidate instant after the stored stage's `evaluated_through` E up
to `at` (instants.py): the customer's signals, each rule clock's bases plus its offsets (windows leaving,
day counts crossing a constant) and the start of the stage held plus days_in_stage's offsets (and a day,
for a stage the rules did not keep as it began). Here, in the database:

1. The points: per customer E, and the signal and clock instants in (E, at]: the only instants at which a
   fact the rules read changes. Between two of them only the day counts move, by the time elapsed.
2. cxcore's facts at every point, by cxcore's own set-based statement (cxcore.facts.set_based): each point
   is a customer of its own whose signals and creation are shifted by `at` - t, so their facts at `at`
   are the customer's at t (a day count or a window sees only durations). The shifted copies are
   temporary tables named as the real ones, found first by both PostgreSQL and SQLite, and dropped at once.
3. Rounds, one per transition of a chain (at_risk, then dormant): for each customer that moved in the last, the
   earliest candidate instant after the last transition at which the rules' CASE (the full run's,
   set_based._rules_case_sql) gives another stage, the facts those of the latest point at or before it
   with the day counts moved on. That instant starts the new stage, as in event time: the next round
   looks after it, with the new stage's own offsets.

Only the customers with a candidate instant in (E, at] take part (found by one scan of the stored stages, of
the customers and of the signals by time): for the others event time evaluates nothing either.

`stages_projected_to(at)`: inside, CustomerStage gives everyone's stage, since and previous stage at
`at` (a temporary view named as the table, over it and the moved customers' rows), so the stage facts
every set-based reader compiles (membrane.stored_facts) are the projected ones. Not
foreseen, as the stored stage does not tell it: a signal back-dated before E and not evaluated yet (a
decision would replay the history from it first).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import BigIntegerField
from django.db.models.expressions import RawSQL

from cxcore.facts.catalogue import ANY_SIGNAL, CXCORE_FACTS, START
from cxcore.facts.days import epoch_us
from cxcore.facts.set_based import facts_params, facts_select, stored_facts_sql
from cxcore.facts.sql import Dialect, literal
from cxcore.models import Customer, Signal
from membrane.models import CustomerStage

from .instants import stage_offsets
from .instants_sql import instant_sql, offset_us
from .projection_moving import moving_customers_sql
from .rules import CompiledRuleSet, published_ruleset
from .set_based import _rules_case_sql, _rules_keep_sql

# Rules that go round (crisis, then out of it the day after, then back) move a customer up to once a day for
# a year, a round each: far beyond that, something is wrong.
MAX_ROUNDS = 5000
STATE, POINTS, FACTS, AT_POINTS = "sp_state", "sp_points", "sp_facts", "sp_at"
CURRENT, MOVES, MOVED, PROJECTED = "sp_current", "sp_moves", "sp_moved", "sp_projected"


def _offsets(rows: list[tuple[int, ...]]) -> str:
    """A relation of integer rows (columns c0, c1, ...), portable: SELECT ... UNION ALL SELECT ..."""
    return " UNION ALL ".join("SELECT " + ", ".join(f"{value} AS c{n}" for n, value in enumerate(row)) for row in rows)


def _real(d: Dialect, table: str) -> str:
    return f"{'public' if d.postgresql else 'main'}.{table}"


def _temp(d: Dialect, table: str) -> str:
    return f"{'pg_temp' if d.postgresql else 'temp'}.{table}"


def _index(cursor, d: Dialect, table: str, columns: str) -> None:
    name = f"{table}_index"
    cursor.execute(f"CREATE INDEX {name if d.postgresql else _temp(d, name)} ON {table} ({columns})")


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


def _points_sql(d: Dialect, ruleset: CompiledRuleSet) -> str:
    """(cid, t_us): each moving customer's E, and the instants in (E, at] at which a fact the rules read can
    change (instants.candidate_points over the signals and the rules' clocks)."""
    signals, customers = Signal._meta.db_table, Customer._meta.db_table
    occurred = d.epoch_us("s.occurred_at")
    parts = [
        f"SELECT cid, e_us AS t_us FROM {STATE}",
        f"SELECT st.cid, {occurred} AS t_us FROM {signals} s JOIN {STATE} st ON st.cid = s.customer_id",
    ]
    for key, offsets in ruleset.signal_clocks:
        offs = _offsets([(offset_us(days),) for days in offsets])
        if key == START:
            first = f"(SELECT MIN(s.occurred_at) FROM {signals} s WHERE s.customer_id = c.id)"
            start = d.least([d.epoch_us("c.created_at"), d.epoch_us(first)])
            bases = f"SELECT st.cid, {start} AS b FROM {customers} c JOIN {STATE} st ON st.cid = c.id"
        else:
            kind = "" if key == ANY_SIGNAL else f" WHERE s.kind = {literal(key)}"
            bases = f"SELECT st.cid, {occurred} AS b FROM {signals} s JOIN {STATE} st ON st.cid = s.customer_id{kind}"
        parts.append(f"SELECT b.cid, b.b + o.c0 AS t_us FROM ({bases}) b CROSS JOIN ({offs}) o")
    union = " UNION ".join(f"SELECT * FROM ({part}) p{n}" for n, part in enumerate(parts))
    # t_us > E or the point E itself; never past `at`.
    return f"""SELECT ROW_NUMBER() OVER (ORDER BY u.cid, u.t_us) AS k, u.cid, u.t_us
        FROM ({union}) u JOIN {STATE} st ON st.cid = u.cid
        WHERE u.t_us >= st.e_us AND u.t_us <= %(at_us)s"""


def _shift(d: Dialect, column: str) -> str:
    return instant_sql(d, f"{d.epoch_us(column)} + %(at_us)s - p.t_us")


def _facts_at_points(cursor, d: Dialect, at: dt.datetime) -> None:
    """AT_POINTS (cid, t_us, each cxcore fact by name, day counts in microseconds) from cxcore's statement over
    the shifted copies of the points' customers and signals (see the module's docstring)."""
    params = {**facts_params(d.vendor, at=at), "at_us": epoch_us(at)}
    customers, signals = Customer._meta.db_table, Signal._meta.db_table
    copied = [c for c in _columns(Customer) if c not in ("id", "created_at")]
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {customers} AS SELECT p.k AS id, {_shift(d, "c.created_at")} AS created_at,
            {", ".join(f"c.{c}" for c in copied)}
            FROM {_real(d, customers)} c JOIN {POINTS} p ON p.cid = c.id""",
        params,
    )
    copied = [c for c in _columns(Signal) if c not in ("customer_id", "occurred_at")]
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {signals} AS SELECT p.k AS customer_id, {_shift(d, "s.occurred_at")} AS occurred_at,
            {", ".join(f"s.{c}" for c in copied)}
            FROM {_real(d, signals)} s JOIN {POINTS} p ON p.cid = s.customer_id
            WHERE {d.epoch_us("s.occurred_at")} <= p.t_us""",
        params,
    )
    if d.postgresql:
        cursor.execute(f"ANALYZE {_temp(d, customers)}")
        cursor.execute(f"ANALYZE {_temp(d, signals)}")
    ctes, select = facts_select(d.vendor, scope="all")
    cursor.execute(f"CREATE TEMPORARY TABLE {FACTS} AS WITH {ctes} {select}", params)
    # The copies must not outlive this statement: every other reader means the real tables (an error rolls
    # them back with the caller's transaction).
    cursor.execute(f"DROP TABLE {_temp(d, signals)}")
    cursor.execute(f"DROP TABLE {_temp(d, customers)}")
    read = stored_facts_sql(d.vendor, "f")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {AT_POINTS} AS SELECT p.cid, p.t_us,
            LEAD(p.t_us) OVER (PARTITION BY p.cid ORDER BY p.t_us) AS next_us,
            {", ".join(f"{read[fact.name]} AS {fact.name}" for fact in CXCORE_FACTS)}
            FROM {FACTS} f JOIN {POINTS} p ON p.k = f.customer_id""",
        params,
    )
    _index(cursor, d, AT_POINTS, "cid, t_us")


def _round_sql(d: Dialect, ruleset: CompiledRuleSet) -> tuple[str, dict]:
    """MOVES (cid, t_us, new_stage, old_stage, settled): the first transition after E of each customer in CURRENT.

    The candidates are the points after E (their own facts) and the instants the stage held counts from its
    start (the facts of the latest point before, the day counts moved on to them)."""
    stage_offs = [(offset_us(days), 1) for days in stage_offsets(ruleset, True)]
    stage_offs += [(offset_us(days), 0) for days in stage_offsets(ruleset, False)]
    kept = ", ".join(f"p.{fact.name}" for fact in CXCORE_FACTS)
    head = "SELECT st.cid, st.stage AS old_stage, st.prev AS old_previous, st.since_us, st.e_us"
    parts = [f"{head}, p.t_us, {kept} FROM {CURRENT} st JOIN {AT_POINTS} p ON p.cid = st.cid"]
    if stage_offs:
        t = "st.since_us + o.c0"
        moved = {fact.name for fact in CXCORE_FACTS if fact.counts_days}
        facts = ", ".join(
            f"p.{fact.name} + ({t} - p.t_us) AS {fact.name}" if fact.name in moved else f"p.{fact.name}"
            for fact in CXCORE_FACTS
        )
        parts.append(
            f"""{head}, {t} AS t_us, {facts} FROM {CURRENT} st JOIN ({_offsets(stage_offs)}) o ON o.c1 = st.settled
            JOIN {AT_POINTS} p ON p.cid = st.cid AND p.t_us <= {t} AND (p.next_us IS NULL OR {t} < p.next_us)"""
        )
    candidates = " UNION ".join(f"SELECT * FROM ({part}) c{n}" for n, part in enumerate(parts))
    cv = f"""SELECT c.*, c.t_us - c.since_us AS dis FROM ({candidates}) c
        WHERE c.t_us > c.e_us AND c.t_us <= %(at_us)s"""
    case, params = _rules_case_sql(
        ruleset=ruleset,
        alias="cv",
        stage="cv.old_stage",
        previous="cv.old_previous",
        days_in_stage=RawSQL("cv.dis", (), output_field=BigIntegerField()),
        prefix="rule",
    )
    keeps, keeps_params = _rules_keep_sql(ruleset, "ev")
    settled = f"CASE WHEN {keeps} THEN 1 ELSE 0 END" if keeps else "1"
    params.update(keeps_params)
    # OFFSET 0: the rules' CASE once per candidate, not once per reference (as in set_based).
    evaluated = f"SELECT cv.*, {case} AS new_stage FROM ({cv}) cv{' OFFSET 0' if d.postgresql else ''}"
    statement = f"""CREATE TEMPORARY TABLE {MOVES} AS
        WITH ev AS ({evaluated}),
        fi AS (SELECT cid, MIN(t_us) AS t_us FROM ev WHERE new_stage <> old_stage GROUP BY cid)
        SELECT ev.cid, ev.t_us, ev.new_stage, ev.old_stage, {settled} AS settled
        FROM ev JOIN fi ON fi.cid = ev.cid AND fi.t_us = ev.t_us"""
    return statement, params


def _project(cursor, d: Dialect, at: dt.datetime, ruleset: CompiledRuleSet) -> int:
    """PROJECTED: the customers of STATE whose stage changes by `at`, with their stage then; returns how many.

    Each round writes new tables rather than updating rows: CURRENT, the customers that moved in the round
    before, at their new stage; MOVED, every move with its round."""
    params = {"at_us": epoch_us(at)}
    cursor.execute(f"CREATE TEMPORARY TABLE {POINTS} AS {_points_sql(d, ruleset)}", params)
    _index(cursor, d, POINTS, "cid")
    _facts_at_points(cursor, d, at)
    statement, round_params = _round_sql(d, ruleset)
    round_params.update(params)
    cursor.execute(f"CREATE TEMPORARY TABLE {CURRENT} AS SELECT * FROM {STATE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {MOVED} AS SELECT 0 AS r, cid, stage, prev, since_us, settled FROM {STATE} WHERE 1 = 0"
    )
    for n in range(1, MAX_ROUNDS + 1):
        cursor.execute(statement, round_params)
        cursor.execute(
            f"""INSERT INTO {MOVED} (r, cid, stage, prev, since_us, settled)
            SELECT {n}, cid, new_stage, old_stage, t_us, settled FROM {MOVES}"""
        )
        moving = cursor.rowcount
        cursor.execute(f"DROP TABLE {_temp(d, CURRENT)}")
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {CURRENT} AS SELECT cid, new_stage AS stage, old_stage AS prev,
            t_us AS since_us, settled, t_us AS e_us FROM {MOVES}"""
        )
        cursor.execute(f"DROP TABLE {_temp(d, MOVES)}")
        if not moving:
            break
    else:
        raise RuntimeError(f"the stage rules move some customers more than {MAX_ROUNDS} times before {at}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {PROJECTED} AS SELECT m.cid, m.stage, m.prev, m.since_us, m.settled
        FROM {MOVED} m JOIN (SELECT cid, MAX(r) AS r FROM {MOVED} GROUP BY cid) l ON l.cid = m.cid AND l.r = m.r"""
    )
    _index(cursor, d, PROJECTED, "cid")
    for table in (CURRENT, MOVED):
        cursor.execute(f"DROP TABLE {_temp(d, table)}")
    cursor.execute(f"SELECT COUNT(*) FROM {PROJECTED}")
    return cursor.fetchone()[0]


def _moved_pg(cursor) -> tuple[str, dict[str, str]]:
    """PostgreSQL: the view's FROM and, per projected column, the moved customer's value (`moved` is the
    condition). PROJECTED's rows are written into the view as constant arrays ordered by customer (a statement
    that reads a temporary table runs in one process, the million rows the view joins it to included, while one
    over real tables and constants spreads over parallel workers as the stored table alone does), and each
    column looks its customer up there itself: `= ANY` of a constant array is a hash probe, and width_bucket a
    binary search in the sorted ids giving the position. The columns then read the stored table alone, so the
    planner computes them in its (parallel) scan and hashes it in parallel; joined to the moved rows instead,
    the outer join the readers put the view under made it build a private hash of the whole table in every
    worker (1.7 s of bench campaigns' statement, against 0.4 s)."""
    cursor.execute(f"SELECT cid, stage, prev, since_us, settled FROM {PROJECTED} ORDER BY cid")
    columns = list(zip(*cursor.fetchall(), strict=True))
    arrays = connection.ops.compose_sql(
        "SELECT %s::bigint[] AS cid, %s::text[] AS stage, %s::text[] AS prev, %s::bigint[] AS since_us, "
        "%s::int[] AS settled",
        [list(c) for c in columns],
    )
    at = "width_bucket(cs.customer_id, m.cid)"
    values = {
        "moved": "cs.customer_id = ANY(m.cid)",
        "stage": f"m.stage[{at}]",
        "prev": f"m.prev[{at}]",
        "since_us": f"m.since_us[{at}]",
        "settled": f"m.settled[{at}] = 1",
    }
    # The view's statement is run with parameters (so `%%` means `%`): a `%` in a value is doubled.
    return f"CROSS JOIN ({arrays.replace('%', '%%')}) m", values


def _stored_view(cursor, d: Dialect, at: dt.datetime) -> None:
    """CustomerStage as a temporary view named as the table: the stored rows, the projected ones in their place
    (a view over the real table and the moved customers only: nothing of a million rows is copied). SQLite plans
    no parallel work: its view joins the temporary table."""
    table = CustomerStage._meta.db_table
    if d.postgresql:
        moved, m = _moved_pg(cursor)
    else:
        moved = f"LEFT JOIN {_temp(d, PROJECTED)} m ON m.cid = cs.customer_id"
        m = {"moved": "m.cid IS NOT NULL", **{c: f"m.{c}" for c in ("stage", "prev", "since_us", "settled")}}
    projected = {
        "stage": m["stage"],
        "previous_stage": m["prev"],
        "since": instant_sql(d, m["since_us"]),
        "settled": m["settled"],
        # A view takes no parameters: `at` as a literal.
        "evaluated_through": instant_sql(d, str(epoch_us(at))),
    }
    columns = ", ".join(
        f"CASE WHEN {m['moved']} THEN {projected[column]} ELSE cs.{column} END AS {column}"
        if column in projected
        else f"cs.{column}"
        for column in _columns(CustomerStage)
    )
    cursor.execute(
        f"CREATE TEMPORARY VIEW {table} AS SELECT {columns} FROM {_real(d, table)} cs {moved}",
        [],  # `%%` unescaped, as in every other statement here
    )


@contextmanager
def stages_projected_to(at: dt.datetime) -> Iterator[int]:
    """Inside: CustomerStage holds every customer's stage at `at` as event time projects it from the stored one
    (nothing stored). Yields how many customers' stage time alone changes by then (0: the real table is read)."""
    d = Dialect(connection.vendor)
    ruleset = published_ruleset()
    with transaction.atomic():
        changed = _projected_copy(d, at, ruleset)
        yield changed
        if changed:
            # Done, they are dropped here: the transaction may be a savepoint of a longer one.
            with connection.cursor() as cursor:
                cursor.execute(f"DROP VIEW {_temp(d, CustomerStage._meta.db_table)}")
                if not d.postgresql:
                    cursor.execute(f"DROP TABLE {_temp(d, PROJECTED)}")


@contextmanager
def _without_jit(cursor, d: Dialect) -> Iterator[None]:
    """PostgreSQL's JIT off inside (in the caller's transaction): each statement here reads a few customers' rows
    or scans a table once, never worth compiling (0.13 s of the 0.8 s finding the moving customers)."""
    if not d.postgresql:
        yield
        return
    cursor.execute("SHOW jit")
    (jit,) = cursor.fetchone()
    cursor.execute("SET LOCAL jit = off")
    yield
    cursor.execute("SELECT set_config('jit', %s, true)", [jit])


def _projected_copy(d: Dialect, at: dt.datetime, ruleset: CompiledRuleSet) -> int:
    """Projects the stored stages behind `at` and, when time alone changes some, shadows CustomerStage with them
    (in the caller's transaction); returns how many changed."""
    with connection.cursor() as cursor, _without_jit(cursor, d):
        cursor.execute(
            f"SELECT MIN(evaluated_through) FROM {CustomerStage._meta.db_table} WHERE evaluated_through < %(at)s",
            {"at": d.datetime_param(at)},
        )
        (earliest,) = cursor.fetchone()
        if earliest is None:
            return 0
        if isinstance(earliest, str):  # SQLite hands the text back
            earliest = dt.datetime.fromisoformat(earliest).replace(tzinfo=dt.UTC)
        moving, params = moving_customers_sql(d, ruleset, earliest=earliest, at=at)
        settled = "CASE WHEN settled THEN 1 ELSE 0 END"
        cursor.execute(
            f"""CREATE TEMPORARY TABLE {STATE} AS SELECT customer_id AS cid, stage, previous_stage AS prev,
                {d.epoch_us("since")} AS since_us, {settled} AS settled, {d.epoch_us("evaluated_through")} AS e_us
                FROM {CustomerStage._meta.db_table} WHERE customer_id IN ({moving})""",
            params,
        )
        _index(cursor, d, STATE, "cid")
        changed = _project(cursor, d, at, ruleset)
        if changed:
            _stored_view(cursor, d, at)
        # The view holds PROJECTED's rows itself on PostgreSQL, reads the table on SQLite.
        kept = changed and not d.postgresql
        for table in (STATE, POINTS, FACTS, AT_POINTS, *(() if kept else (PROJECTED,))):
            cursor.execute(f"DROP TABLE {_temp(d, table)}")
    return changed
