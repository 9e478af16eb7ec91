"""One customer's stage brought up to a time (DESIGN.md section 6): answered from the stored stage when
nothing can have changed it, else by the event-time writer (event_time.py) under the lock a run takes, or
worked out without being stored for a time ahead of now or while a run holds the customer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cxcore.models import Customer
from cxcore.selectors import customer_changes_since, earliest_of
from membrane.models import CustomerStage

from .event_time import bring_up_locked, bring_up_unlocked, evaluate_unstored, one_writer
from .from_checkpoint import noted_annotations, noted_following
from .history import Cursor, StageState, history_state_at
from .instants import no_instant_between
from .rules import CompiledRuleSet, published_ruleset


@dataclass(frozen=True)
class StoredStage:
    """A customer's stored stage as a caller read it in the statement that read the customer, so that
    it, their dirty_since and created_at are of the same moment: the row (None: no stage stored yet)
    and `changes_since`, the earliest change queued for them (cxcore's customer_changes_since)."""

    state: CustomerStage | None
    changes_since: dt.datetime | None


def stage_bring_up_to(
    *,
    customer: Customer,
    at: dt.datetime,
    ruleset: CompiledRuleSet | None = None,
    stored: StoredStage | None = None,
    rows: list[tuple] | None = None,
    following: dt.datetime | None = None,
) -> StageState:
    """The customer's stage at `at`, from their signals, storing the history it derives.

    A time the stored history already covers, or a range in which no fact can change, is answered
    from the stored stage without evaluating anything. A caller that has read them already saves
    their queries: `ruleset` (published_ruleset()), `stored` (read with `customer`; None: read here)
    and `rows` (cxcore's signal_rows up to `at`). `following`, the first instant after the stored
    stage's evaluated_through at which it can change, known when no signal came after it (noted with
    the facts' checkpoint: clock.next_instant), answers an earlier `at` without reading any signal.
    """
    ruleset = ruleset or published_ruleset()
    if stored is None:
        state = (
            CustomerStage.objects.filter(customer_id=customer.pk)
            .select_related("customer")
            .annotate(
                changes_since=customer_changes_since("customer_id"),
                **noted_annotations(),
            )
            .first()
        )
        owner = state.customer if state is not None else customer
        changes_since = state.changes_since if state is not None else None
    else:
        state, owner, changes_since = stored.state, customer, stored.changes_since
    if state is not None:
        dirty = earliest_of(owner.dirty_since, changes_since)
        clean = dirty is None or dirty > state.evaluated_through
        if clean and at <= state.evaluated_through:
            return history_state_at(customer_id=customer.pk, at=at, stored=state, default=ruleset.default_stage)
        news = False
        if clean and stored is None and rows is None and following is None:
            noted = noted_following(state, ruleset=ruleset, at=at)
            news, following = noted.news, noted.following
        if clean and following is not None and at < following:
            return Cursor(state.stage, state.since, state.previous_stage).state_at(at, ruleset.default_stage)
        # A signal after the stored stage's end is an instant to evaluate at: nothing to look for.
        if (
            clean
            and not news
            and no_instant_between(
                customer_id=customer.pk, created_at=owner.created_at, state=state, at=at, ruleset=ruleset, rows=rows
            )
        ):
            return Cursor(state.stage, state.since, state.previous_stage).state_at(at, ruleset.default_stage)
    now = timezone.now()
    if at > now:
        return _projected(customer, at=at, now=now, ruleset=ruleset)
    return bring_up_one(customer, at=at, ruleset=ruleset)


def bring_up_one(customer: Customer, *, at: dt.datetime, ruleset: CompiledRuleSet) -> StageState:
    """One customer brought up to `at` by the writer, storing their history and checkpoint, under the lock a
    run takes (one writer: unlocked, as runs do there). When a run holds the customer, it is bringing them
    up at this moment: their stage is worked out without being stored, rather than waiting for the run's
    batch to commit (seconds under load, with a page or an integration waiting)."""
    if one_writer():
        results, _ = bring_up_unlocked(customers=Customer.objects.filter(pk=customer.pk), at=at, ruleset=ruleset)
        return results[customer.pk]
    with transaction.atomic():
        locked = Customer.objects.select_for_update(skip_locked=True, no_key=True).filter(pk=customer.pk).first()
        if locked is not None:
            results, _ = bring_up_locked(customers=[locked], at=at, ruleset=ruleset)
            return results[customer.pk]
    return evaluate_unstored(customer, at=at, ruleset=ruleset)


def _projected(customer: Customer, *, at: dt.datetime, now: dt.datetime, ruleset: CompiledRuleSet) -> StageState:
    """The stage at a future `at` if nothing new arrives: the history is stored up to now, and worked out
    from there to `at` without being stored (a stored projection would show as the customer's present
    stage on every page, and be wrong the moment a signal came)."""
    stage_bring_up_to(customer=customer, at=now, ruleset=ruleset)
    return evaluate_unstored(customer, at=at, ruleset=ruleset)
