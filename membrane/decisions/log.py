"""The decision log's writer: every answer given is appended, durably (no asynchronous commit)."""

from __future__ import annotations

import datetime as dt
import functools

from django.db import connection
from django.db.models import JSONField

from cxcore import json_fast
from cxcore.db import hot_cursor
from membrane.models.decisions import DecisionLog

from .values import Decision


def _log_values(decision: Decision, *, asked_by: str, now: dt.datetime) -> dict:
    """The decision's log row, by field attname."""
    verdict = decision.verdict
    deciding = verdict.deciding
    decided_by = "consent" if verdict.decided_by == "consent" else "principle" if deciding is not None else ""
    by_principle = deciding is not None and decided_by == "principle"
    return {
        "decision_id": decision.decision_id,
        "customer_id": decision.customer.pk,
        "team": decision.interaction.team,
        "category": decision.interaction.category,
        "channel": decision.interaction.channel,
        "at": decision.at,
        "decided_at": now,
        "verdict": verdict.verdict,
        "decided_by": decided_by,
        "principle_id": deciding.principle_id if by_principle else None,
        "version_number": deciding.version if by_principle else None,
        "stage": decision.stage or "",
        "matched": verdict.matched,
        "facts": verdict.facts,
        "actions": verdict.actions,
        "reason": verdict.reason,
        "retry_after": verdict.retry_after,
        "asked_by": asked_by[:150],
    }


@functools.cache
def _insert_sql() -> tuple[str, tuple]:
    # A hot statement (cxcore.db): compiling the ORM's INSERT costs more than the database's work on
    # the decision path, and the statement never changes, so it is written once per process from the
    # model's fields.
    quote = connection.ops.quote_name
    fields = [f for f in DecisionLog._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join("%s::jsonb" if isinstance(f, JSONField) else "%s" for f in fields)
    sql = f"INSERT INTO {quote(DecisionLog._meta.db_table)} ({columns}) VALUES ({values})"
    # The JSON fields' values are sent as text, encoded as each field's encoder would (json_fast:
    # psycopg's own JSON adaptation cost the write some 40 µs of CPU); psycopg adapts the others
    # (text, numbers, a UUID, aware datetimes) as the fields would hand them over on PostgreSQL.
    return sql, tuple((f.attname, isinstance(f, JSONField), getattr(f, "encoder", None)) for f in fields)


def decision_log_append(decisions: list[Decision], *, asked_by: str, now: dt.datetime) -> None:
    """Appends the decisions to the log (in the caller's transaction, if any)."""
    rows = [_log_values(decision, asked_by=asked_by, now=now) for decision in decisions]
    if len(rows) == 1 and connection.vendor == "postgresql":
        # One INSERT commits by itself; bulk_create would add BEGIN and COMMIT round trips.
        sql, fields = _insert_sql()
        row = rows[0]
        params = [
            json_fast.dumps_like(row[name], encoder=encoder) if is_json else row[name]
            for name, is_json, encoder in fields
        ]
        with hot_cursor() as cursor:
            cursor.execute(sql, params)
    elif rows:
        DecisionLog.objects.bulk_create([DecisionLog(**values) for values in rows])
