"""decision_make: bring the customer up to `at`, read the facts, apply the rule, log the answer."""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import JSONField
from django.utils import timezone

from cxcore import json_fast
from cxcore.db import hot_cursor
from cxcore.facts.per_customer import SIGNAL_COLUMNS
from cxcore.models import Category, Channel, Customer, Signal, SignalKind, Team
from membrane.models.decisions import DecisionLog

from .engine import STAMP_UNREAD, CompiledPrinciple, Ruleset, Verdict, decide, ruleset_get

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
VOCABULARY_TTL_SECONDS = 60
# What a cap counts of an outbound contact, beside its time.
CONTACT_COLUMNS = ("occurred_at", "team", "category", "channel")
_OCCURRED_AT = SIGNAL_COLUMNS.index("occurred_at")


@dataclass(frozen=True)
class PreloadedSignals:
    """All of a customer's signals, read with the customer (selectors.customer_for_decision).

    `rows` are cxcore's signal rows (SIGNAL_COLUMNS), `contacts` the outbound contacts as
    CONTACT_COLUMNS tuples; a decision at any time filters them, so it reads no signal itself.
    """

    rows: list[tuple]
    contacts: list[tuple]


@dataclass(frozen=True)
class Interaction:
    team: str
    category: str
    channel: str


@dataclass
class Decision:
    decision_id: uuid.UUID
    customer: Customer
    interaction: Interaction
    at: dt.datetime
    stage: str | None
    verdict: Verdict

    def as_dict(self) -> dict:
        answer = {
            "verdict": self.verdict.verdict,
            "decided_by": self.verdict.decided_by,
            "stage": self.stage,
            "matched": self.verdict.matched,
            "facts": self.verdict.facts,
            "actions": self.verdict.actions,
            "reason": self.verdict.reason,
            "decision_id": str(self.decision_id),
            "at": self.at,
        }
        if self.verdict.retry_after is not None:
            answer["retry_after"] = self.verdict.retry_after
        return answer


class _Vocabularies:
    """Teams, channels and categories change rarely; a decision should not pay a query to read them."""

    def __init__(self):
        self.loaded_at = -1e9
        self.teams: frozenset[str] = frozenset()
        self.channels: frozenset[str] = frozenset()
        self.consent: dict[str, bool] = {}

    def get(self) -> _Vocabularies:
        if time.monotonic() - self.loaded_at > VOCABULARY_TTL_SECONDS:
            self.teams = frozenset(Team.objects.values_list("key", flat=True))
            self.channels = frozenset(Channel.objects.values_list("key", flat=True))
            self.consent = dict(Category.objects.values_list("key", "requires_consent"))
            self.loaded_at = time.monotonic()
        return self


vocabularies = _Vocabularies()


def interaction_errors(interaction: Interaction) -> dict[str, str]:
    """Unknown vocabulary keys, by field; empty when the interaction is valid."""
    vocab = vocabularies.get()
    errors = {}
    if interaction.team not in vocab.teams:
        errors["team"] = f"unknown team '{interaction.team}'"
    if interaction.category not in vocab.consent:
        errors["category"] = f"unknown category '{interaction.category}'"
    if interaction.channel not in vocab.channels:
        errors["channel"] = f"unknown channel '{interaction.channel}'"
    return errors


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
    *,
    customer: Customer,
    at: dt.datetime,
    interaction: Interaction | None = None,
    signals: PreloadedSignals | None = None,
) -> tuple[dict, str]:
    """Every fact a principle condition can read, as of `at`; the stage is brought up to `at` first.

    The signals up to `at` are read once, for the stage's nothing-changed check and for the facts;
    not at all when the caller has read them (`signals`). A customer read by
    selectors.customer_for_decision(s) carries the published stage rules' identity and the stored
    stage, which then cost no query here.
    """
    from cxcore.facts.per_customer import facts_for_customer, signal_rows
    from membrane.stages.event_time import STORED_UNREAD, stage_bring_up_to
    from membrane.stages.rules import published_ruleset

    if signals is None:
        rows = signal_rows(customer=customer, at=at)
    else:
        rows = [row for row in signals.rows if row[_OCCURRED_AT] <= at]
    state = stage_bring_up_to(
        customer=customer,
        at=at,
        ruleset=published_ruleset(stamp=getattr(customer, "stage_rules_stamp", None)),
        stored=getattr(customer, "stored_stage", STORED_UNREAD),
        rows=rows,
    )
    row = facts_for_customer(customer=customer, at=at, rows=rows)
    row.update(stage=state.stage, previous_stage=state.previous_stage, days_in_stage=state.days_in_stage)
    row.update(interaction_context(customer=customer, interaction=interaction, at=at))
    return row, state.stage


def contacts_in_scope(
    *, customer: Customer, cap: CompiledPrinciple, at: dt.datetime, signals: PreloadedSignals | None = None
) -> list[dt.datetime]:
    """Outbound contacts of every team in the cap's scope within its window (at - D, at], oldest first.

    From `signals` when the caller has read them, else from the database.
    """
    if signals is not None:
        since = at - dt.timedelta(days=cap.params["days"])
        return sorted(
            occurred_at
            for occurred_at, team, category, channel in signals.contacts
            if since < occurred_at <= at and cap.scope.covers(team=team, category=category, channel=channel)
        )
    contacts = Signal.objects.filter(
        cap.scope.q(),
        customer=customer,
        kind=SignalKind.CONTACT,
        direction="out",
        occurred_at__gt=at - dt.timedelta(days=cap.params["days"]),
        occurred_at__lte=at,
    )
    return list(contacts.order_by("occurred_at").values_list("occurred_at", flat=True))


def _ruleset_for(customer: Customer) -> Ruleset:
    # A customer read by selectors.customer_for_decision carries the published set's stamp.
    stamp = getattr(customer, "ruleset_stamp", STAMP_UNREAD)
    return ruleset_get() if stamp is STAMP_UNREAD else ruleset_get(stamp=stamp)


def decision_evaluate(
    *, customer: Customer, interaction: Interaction, at: dt.datetime | None = None, ruleset: Ruleset | None = None
) -> Decision:
    """The answer for one interaction as of `at` (default now), without logging it.

    Signals read with the customer (selectors.customer_for_decision) serve this one decision: the
    customer object may be kept, and a later decision must see the signals that arrived since.
    """
    at = at or timezone.now()
    ruleset = ruleset or _ruleset_for(customer)
    signals = customer.__dict__.pop("preloaded_signals", None)
    row, stage = customer_row(customer=customer, at=at, interaction=interaction, signals=signals)
    contacts = None
    if signals is not None:
        contacts = lambda cap: contacts_in_scope(customer=customer, cap=cap, at=at, signals=signals)  # noqa: E731
    return decision_from_row(
        customer=customer, interaction=interaction, at=at, ruleset=ruleset, row=row, stage=stage, contacts=contacts
    )


def decision_from_row(
    *,
    customer: Customer,
    interaction: Interaction,
    at: dt.datetime,
    ruleset: Ruleset,
    row: dict,
    stage: str | None,
    contacts: Callable[[CompiledPrinciple], Sequence[dt.datetime]] | None = None,
) -> Decision:
    """The rule applied to facts already read (`row` from customer_row, with this interaction's context).

    Many questions about one customer (the 360 page's may-we matrix) read the facts once; `contacts`
    lets such a caller read each cap's contacts once too. Nothing is logged.
    """
    verdict = decide(
        ruleset,
        row,
        team=interaction.team,
        category=interaction.category,
        channel=interaction.channel,
        at=at,
        consent_required=vocabularies.get().consent.get(interaction.category, True),
        consented=customer.has_consent(interaction.channel),
        contacts=contacts or (lambda cap: contacts_in_scope(customer=customer, cap=cap, at=at)),
    )
    return Decision(
        decision_id=uuid.uuid4(), customer=customer, interaction=interaction, at=at, stage=stage, verdict=verdict
    )


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
    # Compiling the ORM's INSERT costs more than the database's work on the decision path; the
    # statement never changes, so it is written once per process from the model's fields.
    quote = connection.ops.quote_name
    fields = [f for f in DecisionLog._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join("%s::jsonb" if isinstance(f, JSONField) else "%s" for f in fields)
    sql = f"INSERT INTO {quote(DecisionLog._meta.db_table)} ({columns}) VALUES ({values})"
    # The JSON fields' values are sent as text, encoded as each field's encoder would (json_fast:
    # psycopg's own JSON adaptation cost the write some 40 µs of CPU); psycopg adapts the others
    # (text, numbers, a UUID, aware datetimes) as the fields would hand them over on PostgreSQL.
    return sql, tuple((f.attname, isinstance(f, JSONField), getattr(f, "encoder", None)) for f in fields)


def _log_write(rows: list[dict]) -> None:
    """Appends to the log, durably: an answer given is an answer logged (no asynchronous commit)."""
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


def decision_make(
    *, customer: Customer, interaction: Interaction, at: dt.datetime | None = None, asked_by: str = ""
) -> Decision:
    """Decides and appends the answer to the decision log."""
    decision = decision_evaluate(customer=customer, interaction=interaction, at=at)
    _log_write([_log_values(decision, asked_by=asked_by, now=timezone.now())])
    return decision


def decisions_make_batch(
    *, items: Sequence[tuple[Customer, Interaction, dt.datetime | None]], asked_by: str = ""
) -> list[Decision]:
    """Many decisions, logged in one insert."""
    ruleset = _ruleset_for(items[0][0]) if items else None
    decisions = [decision_evaluate(customer=c, interaction=i, at=at, ruleset=ruleset) for c, i, at in items]
    now = timezone.now()
    _log_write([_log_values(d, asked_by=asked_by, now=now) for d in decisions])
    return decisions
