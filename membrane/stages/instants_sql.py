"""Instants in SQL as event time computes them in Python (instants.py), for the set-based stage projection: an
offset in days as whole microseconds, an instant given in epoch microseconds, an instant plus an offset, each in
the database's own representation so that it compares with the stored instants."""

from __future__ import annotations

import datetime as dt

from cxcore.facts.sql import Dialect

from .instants import DAY

US = dt.timedelta(microseconds=1)


def offset_us(days: float) -> int:
    """An offset in days as event time adds it (`days * DAY`), in integer microseconds."""
    return (days * DAY) // US


def instant_sql(d: Dialect, us: str) -> str:
    """The instant `us` epoch microseconds in the database's representation (SQLite: Django's UTC text)."""
    if d.postgresql:
        return f"(timestamptz 'epoch' + ({us}) * interval '1 microsecond')"
    return (
        f"(strftime('%%Y-%%m-%%d %%H:%%M:%%S', ({us}) / 1000000, 'unixepoch') || CASE WHEN ({us}) %% 1000000 = 0"
        f" THEN '' ELSE '.' || substr('000000' || (({us}) %% 1000000), -6) END)"
    )


def plus_sql(d: Dialect, column: str, us: int) -> str:
    """The instant `column` + `us` microseconds, comparable with the stored instants."""
    if d.postgresql:
        return f"({column} + ({us}) * interval '1 microsecond')"
    return instant_sql(d, f"{d.epoch_us(column)} + ({us})")
