"""What a decision's principles read: the customer's fact row as of a time, with the interaction's context,
and the outbound contacts a cap counts."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.utils import timezone

from cxcore.facts.fold_state import StoredCheckpoint, checkpoint_holds, facts_after_checkpoint
from cxcore.facts.per_customer import SIGNAL_COLUMNS, facts_for_customer, signal_rows
from cxcore.models import Customer, Signal
from cxcore.selectors import earliest_of
from membrane.stages.one_customer import StoredStage, bring_up_one, stage_bring_up_to
from membrane.stages.rules import published_ruleset

from .contacts import cap_contacts
from .engine import CompiledPrinciple
from .values import DecisionInputs, Interaction, PreloadedSignals

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_OCCURRED_AT = SIGNAL_COLUMNS.index("occurred_at")
# A decision that had to fold more of the customer's signals than this (they have no checkpoint that
# holds: a full run evaluated them, which stores none) has the event-time writer bring them up to its
# time, which stores their checkpoint: the decisions after it read that, not the whole history. Below
# it, folding the signals costs less than the write.
CHECKPOINT_AFTER = 256


def interaction_context(*, customer: Customer, interaction: Interaction | None, at: dt.datetime) -> dict:
    """The interaction facts: team, category, channel, and the hour and weekday in the customer's timezone."""
    try:
        local = at.astimezone(zoneinfo.ZoneInfo(customer.timezone or "UTC"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        local = at.astimezone(dt.UTC)
    return {
        "team": interaction.team if interaction else None,
        "category": interaction.category if interaction else None,
        "channel": interaction.channel if interaction else None,
        "local_hour": local.hour,
        "weekday": WEEKDAYS[local.weekday()],
    }


def customer_row(
    *, inputs: DecisionInputs, at: dt.datetime, interaction: Interaction | None = None
) -> tuple[dict, str]:
    """Every fact a principle condition can read, as of `at`, and the stage; the stage is brought up to
    `at` first.

    From the customer's checkpoint when it holds at `at` (read with them), and the signals after it
    only: read with the customer too on PostgreSQL, else in one query. Otherwise the signals up to
    `at` are read once, for the stage's nothing-changed check and for the facts; not at all when
    they were read with the customer. What else was read with them (the stage rules' stamp, the
    stored stage) costs no query either.
    """
    customer, read = inputs.customer, inputs.read
    ruleset = published_ruleset(stamp=None if read is None else read.stage_rules_stamp)
    stored = None if read is None else read.stored_stage
    checkpoint = _holding(customer, read, at)
    row = None
    if checkpoint is not None:
        if read.signals is not None:
            after = [row for row in read.signals.rows if row[_OCCURRED_AT] <= at]
        else:
            after = _signals_after(customer, since=checkpoint.as_of, at=at)
        state = stage_bring_up_to(
            customer=customer,
            at=at,
            ruleset=ruleset,
            stored=stored,
            # A signal after the stored stage's end is an instant to evaluate at: no need to look for one.
            rows=after if _news(after, stored) else None,
            following=_following(checkpoint, stored, ruleset.number, after),
        )
        row = facts_after_checkpoint(customer=customer, stored=checkpoint, rows=after, at=at)
    if row is None:
        if read is None or read.signals is None or read.signals.after is not None:
            rows = signal_rows(customer=customer, at=at)
        else:
            rows = [row for row in read.signals.rows if row[_OCCURRED_AT] <= at]
        if _checkpoint_wanted(rows, stored, at):
            state = bring_up_one(customer, at=at, ruleset=ruleset)
        else:
            state = stage_bring_up_to(customer=customer, at=at, ruleset=ruleset, stored=stored, rows=rows)
        row = facts_for_customer(customer=customer, at=at, rows=rows)
    row.update(stage=state.stage, previous_stage=state.previous_stage, days_in_stage=state.days_in_stage)
    row.update(interaction_context(customer=customer, interaction=interaction, at=at))
    return row, state.stage


def _holding(customer: Customer, read, at: dt.datetime) -> StoredCheckpoint | None:
    """The checkpoint read with the customer when it gives the facts at `at` (and the signals read with
    it, if any, are those after it)."""
    if read is None or read.checkpoint is None:
        return None
    as_of = read.checkpoint.as_of
    if read.signals is not None and read.signals.after != as_of:
        return None
    dirty = earliest_of(customer.dirty_since, read.stored_stage.changes_since)
    return read.checkpoint if checkpoint_holds(as_of=as_of, dirty=dirty, at=at) else None


def _checkpoint_wanted(rows: list[tuple], stored: StoredStage | None, at: dt.datetime) -> bool:
    """Whether this decision should store the customer's checkpoint (CHECKPOINT_AFTER): a long history folded
    whole, at a time the stored history does not cover yet and not ahead of now (a checkpoint holds the
    signals up to its instant: one ahead would not hold once the next signal arrived)."""
    if len(rows) <= CHECKPOINT_AFTER or at > timezone.now():
        return False
    state = None if stored is None else stored.state
    return state is None or at > state.evaluated_through


def _news(after: list[tuple], stored: StoredStage | None) -> bool:
    """Whether a signal of `after` is dated after the stored stage's end (its history must be extended)."""
    if stored is None or stored.state is None:
        return False
    end = stored.state.evaluated_through
    return any(row[_OCCURRED_AT] > end for row in after)


def _signals_after(customer: Customer, *, since: dt.datetime, at: dt.datetime) -> list[tuple]:
    signals = Signal.objects.filter(customer=customer, occurred_at__gt=since, occurred_at__lte=at)
    return list(signals.values_list(*SIGNAL_COLUMNS))


def _following(
    checkpoint: StoredCheckpoint, stored: StoredStage | None, rules: int, after: list[tuple]
) -> dt.datetime | None:
    """The first instant after the stored stage's end at which its stage can change, as noted with the
    checkpoint: when it was written with that stage by these rules and no signal came since."""
    state = None if stored is None else stored.state
    if state is None or after or checkpoint.clock_key != rules or checkpoint.as_of != state.evaluated_through:
        return None
    return checkpoint.next_instant


def contacts_in_scope(
    *, customer: Customer, cap: CompiledPrinciple, at: dt.datetime, signals: PreloadedSignals | None = None
) -> list[dt.datetime]:
    """Outbound contacts of every team in the cap's scope within its window (at - D, at], oldest first.

    From `signals` when they were read with the customer and reach back far enough, else from the database.
    """
    since = at - dt.timedelta(days=cap.params["days"])
    if signals is not None and (signals.contacts_since is None or signals.contacts_since <= since):
        return sorted(
            occurred_at
            for occurred_at, team, category, channel in signals.contacts
            if since < occurred_at <= at and cap.scope.covers(team=team, category=category, channel=channel)
        )
    contacts = cap_contacts(cap=cap, at=at).filter(customer=customer)
    return list(contacts.order_by("occurred_at").values_list("occurred_at", flat=True))
