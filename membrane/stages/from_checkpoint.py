"""Where the event-time path goes on from: the stored checkpoints that hold (cxcore.facts.checkpoint), which
signals to read after them, and the next instant of a history noted with its checkpoint."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import F

from cxcore.facts.checkpoint import Checkpoint
from cxcore.facts.fold_state import checkpoint_holds, checkpoints_read
from cxcore.models import Signal

from .inputs import ReadFrom
from .rules import CompiledRuleSet

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def checkpoints_going_on(customers, *, starts: dict[int, dt.datetime | None]) -> dict[int, Checkpoint]:
    """The stored checkpoints a history can go on from: as of the start of its range or before, and holding
    every signal up to then (the customer is not dirty from before it)."""
    going_on = [c for c in customers if starts[c.pk] is not None]
    if not going_on:
        return {}
    stored = checkpoints_read(customer_ids=[c.pk for c in going_on])
    usable = {}
    for customer in going_on:
        found, lo = stored.get(customer.pk), starts[customer.pk]
        if found is not None and checkpoint_holds(as_of=found.as_of, dirty=customer.dirty_since, at=lo):
            usable[customer.pk] = found
    return usable


def read_from(
    as_of: dt.datetime,
    lo: dt.datetime,
    horizon: dt.timedelta,
    kinds: frozenset[str] | None,
    *,
    quiet_until: dt.datetime | None = None,
) -> ReadFrom | None:
    """Which signals are read going on from a checkpoint as of `as_of` over a range from `lo`: those after
    it, and those a clock can fall in the range from; None (all of them) near year 1. Only those after it
    when no clock of the signals before falls in the range (`quiet_until`: noted_quiet)."""
    if quiet_until is not None:
        return ReadFrom(as_of, as_of, kinds)
    try:
        return ReadFrom(as_of, lo - horizon, kinds)
    except OverflowError:
        return None


def noted_quiet(state, checkpoint: Checkpoint, *, ruleset: CompiledRuleSet, at: dt.datetime) -> dt.datetime | None:
    """The next instant noted with the checkpoint a stored stage goes on from (read with it: noted_annotations),
    when the range up to `at` ends before it: no clock of a signal before the checkpoint falls in the range,
    so only the signals after it are read, and the history's next instant is the earlier of this one and
    those of the signals read (while the stage stays the one noted). None otherwise (unknown, or reached)."""
    through = state.evaluated_through
    if state.noted_as_of != through or checkpoint.as_of != through:
        return None
    if state.noted_clock_key != ruleset.number or state.noted_next_instant_us is None:
        return None
    following = _EPOCH + dt.timedelta(microseconds=state.noted_next_instant_us)
    return following if at < following else None


# What the checkpoint's writer noted of the history's next instant (CustomerFoldState), read with the stage.
_NOTED = ("as_of", "next_instant_us", "clock_key")


def noted_annotations() -> dict:
    """The checkpoint's notes as annotations `noted_<name>` of a CustomerStage queryset."""
    return {f"noted_{name}": F(f"customer__fold_state__{name}") for name in _NOTED}


@dataclass(frozen=True)
class Noted:
    """What the notes of the checkpoint written with a stored stage say about a time after its end: a signal
    came since (`news`: an instant to evaluate at), else the first instant it can change (None: unknown)."""

    news: bool = False
    following: dt.datetime | None = None


def noted_following(state, *, ruleset: CompiledRuleSet, at: dt.datetime) -> Noted:
    """The checkpoint's notes, read with this stored stage (noted_annotations), at `at`: one query when they
    belong to it (written with it, by these rules), none otherwise."""
    through = state.evaluated_through
    if state.noted_as_of != through or state.noted_clock_key != ruleset.number or state.noted_next_instant_us is None:
        return Noted()
    if Signal.objects.filter(customer_id=state.customer_id, occurred_at__gt=through, occurred_at__lte=at).exists():
        return Noted(news=True)
    return Noted(following=_EPOCH + dt.timedelta(microseconds=state.noted_next_instant_us))
