"""Reads shared by the API and the console: vocabulary keys and the customer 360° view."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Count, Min, OuterRef, Q, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from .models import ActionKind, Category, Channel, Customer, CustomerChange, Signal, Team

# -- vocabulary keys -------------------------------------------------------------------------------

_VOCABULARIES = {"team": Team, "channel": Channel, "category": Category, "action_kind": ActionKind}
# Keys change rarely; validating 1000 signals or answering a decision must not query them. A key
# added since the last load is found by reloading on a miss, at most once a second so junk input
# cannot hammer it. The one cache of the vocabularies: every reader goes through these functions.
_RELOAD_AFTER_S = 60.0
_RELOAD_ON_MISS_AFTER_S = 1.0


@dataclass(frozen=True)
class _Loaded:
    at: float
    keys: frozenset[str]
    needs_consent: frozenset[str]  # categories only: those whose contacts need the customer's consent
    names: dict[str, str]  # key -> the name people read


_vocabulary_cache: dict[str, _Loaded] = {}
_vocabulary_lock = threading.Lock()


def _vocabulary(vocabulary: str, max_age: float) -> _Loaded:
    now = time.monotonic()
    cached = _vocabulary_cache.get(vocabulary)
    if cached is not None and now - cached.at < max_age:
        return cached
    model = _VOCABULARIES[vocabulary]
    if model is Category:
        rows = list(Category.objects.values_list("key", "name", "requires_consent"))
        loaded = _Loaded(
            now,
            frozenset(key for key, _, _ in rows),
            frozenset(key for key, _, needs in rows if needs),
            {key: name for key, name, _ in rows},
        )
    else:
        names = dict(model.objects.values_list("key", "name"))
        loaded = _Loaded(now, frozenset(names), frozenset(), names)
    with _vocabulary_lock:
        _vocabulary_cache[vocabulary] = loaded
    return loaded


def vocabulary_keys(*, vocabulary: str, max_age: float = _RELOAD_AFTER_S) -> frozenset[str]:
    """The keys of a vocabulary ("team", "channel", "category"), from a per-process cache."""
    return _vocabulary(vocabulary, max_age).keys


def vocabulary_has_key(*, vocabulary: str, key: str) -> bool:
    if key in vocabulary_keys(vocabulary=vocabulary):
        return True
    return key in vocabulary_keys(vocabulary=vocabulary, max_age=_RELOAD_ON_MISS_AFTER_S)


def vocabulary_label(*, vocabulary: str, key: str) -> str:
    """The name people read for a key ("offer_free_service" -> "Offer free service"); an unknown key as itself,
    its underscores as spaces. Every page that shows a vocabulary key shows it through this."""
    names = _vocabulary(vocabulary, _RELOAD_AFTER_S).names
    if key not in names and key:
        names = _vocabulary(vocabulary, _RELOAD_ON_MISS_AFTER_S).names
    return names.get(key) or str(key).replace("_", " ")


def category_needs_consent(*, category: str) -> bool:
    """Whether contacts of this category need the customer's consent; an unknown category does."""
    loaded = _vocabulary("category", _RELOAD_AFTER_S)
    if category not in loaded.keys:
        loaded = _vocabulary("category", _RELOAD_ON_MISS_AFTER_S)
    return category in loaded.needs_consent or category not in loaded.keys


def vocabulary_cache_clear() -> None:
    _vocabulary_cache.clear()


# -- changed customers -----------------------------------------------------------------------------


def customer_changes_since(customer_ref: str = "pk") -> Subquery:
    """For an annotation: the earliest change queued for the customer OuterRef(customer_ref), or None.

    A customer is dirty from the earlier of this and its dirty_since; read both in one query.
    """
    changes = CustomerChange.objects.filter(customer_id=OuterRef(customer_ref)).order_by("since")
    return Subquery(changes.values("since")[:1])


def customer_changes_last(*, until: dt.datetime, customer_ref: str = "pk") -> Subquery:
    """For an annotation: the id of the last change queued for the customer OuterRef(customer_ref) dated up
    to `until`, or None.

    Ids grow as changes are queued: a caller that evaluates customers holding no lock reads it again
    before writing to learn whether changes arrived meanwhile.
    """
    changes = CustomerChange.objects.filter(customer_id=OuterRef(customer_ref), since__lte=until).order_by("-pk")
    return Subquery(changes.values("pk")[:1])


def customer_dirty_since(*, customer_id: int) -> dt.datetime | None:
    """Since when the customer has signals not yet evaluated (None: none), as stored now."""
    customer = Customer.objects.annotate(changes_since=customer_changes_since()).get(pk=customer_id)
    return earliest_of(customer.dirty_since, customer.changes_since)


def customers_changed(*, at: dt.datetime):
    """The customers with signals dated up to `at` not yet evaluated: dirty_since, or a queued change."""
    # A UNION of two index lookups: an OR of the two conditions would read every customer.
    since = connection.ops.adapt_datetimefield_value(at)
    union = (
        f"SELECT id FROM {Customer._meta.db_table} WHERE dirty_since <= %s"
        f" UNION SELECT customer_id FROM {CustomerChange._meta.db_table} WHERE since <= %s"
    )
    if connection.vendor == "postgresql":
        # As an array, the ids are looked up in the primary key one by one, in its order, which a
        # claim's ORDER BY pk LIMIT n stops early; a join would walk the whole key to find them.
        table = Customer._meta.db_table
        changed = RawSQL(f'"{table}"."id" = ANY(ARRAY({union}))', [since, since], output_field=BooleanField())
        return Customer.objects.filter(changed)
    return Customer.objects.filter(pk__in=RawSQL(union, [since, since]))


def earliest_of(*times: dt.datetime | None) -> dt.datetime | None:
    present = [t for t in times if t is not None]
    return min(present) if present else None


# -- the signal timeline --------------------------------------------------------------------------

TIMELINE_PAGE = 50
TIMELINE_MAX_PAGE = 200

# A signal as the timeline shows it: every stored field but its customer and idempotency key, its id
# (the tie-breaker of the order) and what happened and when first.
TIMELINE_SIGNAL_FIELDS = (
    "id",
    "kind",
    "occurred_at",
    "direction",
    "channel",
    "team",
    "category",
    "ticket_ref",
    "issue_key",
    "severity",
    "eta",
    "amount",
    "score",
    "scale",
    "payload",
    "source",
    "received_at",
)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_CURSOR_TOKEN = re.compile(r"(-?[0-9]{1,17})_([0-9]{1,19})")


@dataclass(frozen=True)
class TimelineCursor:
    """A position in a customer's timeline: the signals strictly older than (occurred_at, id).

    Keyset rather than OFFSET: a page deep in a long history costs what the first one does, and a
    signal arriving meanwhile does not shift the pages. The id orders signals of the same instant.
    """

    occurred_at: dt.datetime
    id: int

    def token(self) -> str:
        """The cursor as the API and the page's URL carry it: microseconds since the epoch, then the id."""
        delta = self.occurred_at - _EPOCH
        micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
        return f"{micros}_{self.id}"

    @classmethod
    def from_token(cls, token: str) -> TimelineCursor:
        """The cursor `token()` wrote; ValueError for anything else."""
        match = _CURSOR_TOKEN.fullmatch(token)
        if match is None or int(match[2]) >= 2**63:
            raise ValueError(token)
        try:
            occurred_at = _EPOCH + dt.timedelta(microseconds=int(match[1]))
        except OverflowError:
            raise ValueError(token) from None
        return cls(occurred_at=occurred_at, id=int(match[2]))


@dataclass(frozen=True)
class TimelineQuery:
    """Which signals of a customer, newest first: an empty filter means any; `until` bounds the view as of a
    time (the 360° view's); `before` continues after the previous page."""

    kinds: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    before: TimelineCursor | None = None
    until: dt.datetime | None = None
    limit: int = TIMELINE_PAGE

    @property
    def filtered(self) -> bool:
        return bool(self.kinds or self.channels or self.teams)


@dataclass(frozen=True)
class TimelinePage:
    signals: list[dict[str, Any]]
    next: TimelineCursor | None  # where the next (older) page starts; None on the last page


def customer_timeline(*, customer_id: int, query: TimelineQuery) -> TimelinePage:
    """One page of the customer's signals matching `query`, newest first, in one query whatever the history.

    The page's ids are found first, then their rows by primary key: on PostgreSQL the ids come from the
    (customer, occurred_at) index alone, which holds id and kind (migration 0008), so a kind filter walks
    index entries, never the heap pages a long history is spread over (a rare kind among 10,000
    signals: 1 ms against 117 ms reading the rows). A channel or team filter reads the rows it skips.
    """
    matching = Signal.objects.filter(customer_id=customer_id)
    if query.until is not None:
        matching = matching.filter(occurred_at__lte=query.until)
    for field, values in (("kind", query.kinds), ("channel", query.channels), ("team", query.teams)):
        if len(values) == 1:
            matching = matching.filter(**{field: values[0]})
        elif values:
            matching = matching.filter(**{f"{field}__in": values})
    if query.before is not None:
        at, ident = query.before.occurred_at, query.before.id
        # The bound on occurred_at alone lets the index scan start at the cursor; the OR breaks ties.
        matching = matching.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=ident), occurred_at__lte=at)
    newest_first = ("-occurred_at", "-id")
    ids = matching.order_by(*newest_first).values("id")[: query.limit + 1]
    rows = list(Signal.objects.filter(id__in=ids).order_by(*newest_first).values(*TIMELINE_SIGNAL_FIELDS))
    if len(rows) <= query.limit:
        return TimelinePage(signals=rows, next=None)
    last = rows[query.limit - 1]
    return TimelinePage(
        signals=rows[: query.limit], next=TimelineCursor(occurred_at=last["occurred_at"], id=last["id"])
    )


# -- the 360° view ---------------------------------------------------------------------------------

# Other apps add their part of the view (membrane: stage, facts, open actions) without cxcore
# importing them: a contributor is called as fn(customer=..., at=...) and returns top-level keys.
Customer360Contributor = Callable[..., dict[str, Any]]
_contributors: list[Customer360Contributor] = []


def customer_360_contributor(fn: Customer360Contributor) -> Customer360Contributor:
    """Register `fn` (usable as a decorator); registering the same function twice is a no-op."""
    if fn not in _contributors:
        _contributors.append(fn)
    return fn


def customer_profile(*, customer: Customer) -> dict[str, Any]:
    return {
        "external_id": customer.external_id,
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "segment": customer.segment,
        "region": customer.region,
        "timezone": customer.timezone,
        "lifetime_value": customer.lifetime_value,
        "attributes": customer.attributes,
        "consent": customer.consent,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def customer_360(
    *, customer: Customer, at: dt.datetime | None = None, timeline: TimelineQuery | None = None
) -> dict[str, Any]:
    """Everything known about a customer as of `at` (default now), in a constant number of queries.

    The signals are one page of the timeline: `timeline` (the console page's filters and position), by
    default the newest TIMELINE_PAGE dated up to `at`; `signals_next` continues it.
    """
    at = at or timezone.now()
    page = customer_timeline(customer_id=customer.pk, query=timeline or TimelineQuery(until=at))
    signals = Signal.objects.filter(customer=customer, occurred_at__lte=at)
    by_kind = signals.order_by().values_list("kind").annotate(n=Count("id"), first=Min("occurred_at"))
    counts, firsts = {}, []
    for kind, n, first in by_kind.values_list("kind", "n", "first"):
        counts[kind] = n
        firsts.append(first)
    view: dict[str, Any] = {
        "customer": customer.external_id,
        "as_of": at,
        # When the relationship began, as the tenure fact counts it: the profile's start (the source's
        # customer_since, else when the customer was first stored) or the first signal if earlier.
        "profile": customer_profile(customer=customer) | {"customer_since": earliest_of(customer.created_at, *firsts)},
        "consent": {key: customer.has_consent(key) for key in sorted(vocabulary_keys(vocabulary="channel"))},
        "signal_counts": dict(sorted(counts.items())),
        "recent_signals": page.signals,
        "signals_next": page.next.token() if page.next else None,
    }
    for contribute in _contributors:
        view.update(contribute(customer=customer, at=at))
    return view
