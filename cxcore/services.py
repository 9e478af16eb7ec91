"""Writes of cxcore besides the ingest (cxcore.ingest): the queue of customers whose new signals
await evaluation, a customer's profile, API tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from .api_schemas import CUSTOMER_PROFILE
from .models import ApiScope, ApiToken, Customer, CustomerChange
from .schemas import InvalidInput, error, external_id_text
from .selectors import earliest_of


def _earliest_by_customer(pairs) -> dict[int, dt.datetime]:
    """(customer id, time) pairs -> each customer's earliest time."""
    earliest: dict[int, dt.datetime] = {}
    for customer_id, at in pairs:
        if customer_id not in earliest or at < earliest[customer_id]:
            earliest[customer_id] = at
    return earliest


def customer_changes_queue(*, inserted: Sequence[tuple[int, dt.datetime]]) -> list[int]:
    """Queue a change per customer from the earliest of its new signals, given as (customer id,
    occurred_at) pairs; returns the customers' ids."""
    earliest = _earliest_by_customer(inserted)
    if not earliest:
        return []
    if connection.vendor == "postgresql":
        # Integers and ISO times need no escaping: the COPY text is written in one piece.
        lines = "".join(f"{customer_id}\t{since.isoformat()}\n" for customer_id, since in earliest.items())
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {CustomerChange._meta.db_table} (customer_id, since) FROM STDIN") as copy,
        ):
            copy.write(lines)
    else:
        CustomerChange.objects.bulk_create([CustomerChange(customer_id=c, since=s) for c, s in earliest.items()])
    return sorted(earliest)


def customer_changes_fold(*, customer_ids: Sequence[int] | None = None) -> dict[int, dt.datetime]:
    """Move the changes the ingest queued into Customer.dirty_since (the earliest time wins).

    With `customer_ids`, the caller holds those customers' rows locked (select_for_update), so
    that nothing else folds them meanwhile. Without, every customer with queued changes is folded
    except those another transaction holds locked: their holder folds them itself, or a later call
    does. The changes are deleted as they are read, so one committed after this call began stays
    queued for the next. Returns customer id -> dirty_since of the customers that had changes.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _customer_changes_fold_postgresql(customer_ids)
        changes = CustomerChange.objects.all()
        if customer_ids is not None:
            changes = changes.filter(customer_id__in=customer_ids)
        earliest = _earliest_by_customer(changes.values_list("customer_id", "since"))
        changes.delete()
        customers = list(Customer.objects.filter(pk__in=earliest).only("pk", "dirty_since"))
        for customer in customers:
            customer.dirty_since = earliest_of(customer.dirty_since, earliest[customer.pk])
        Customer.objects.bulk_update(customers, ["dirty_since"])
        return {customer.pk: customer.dirty_since for customer in customers}


def customer_changes_take(*, customer_ids: Sequence[int], until: dt.datetime) -> dict[int, dt.datetime]:
    """Remove the changes queued for these customers dated up to `until`; returns each one's earliest.

    For a caller that evaluates the customers (their rows locked) up to `until` in the same
    transaction: the changes leave the queue with the work that covers them, and nothing is written
    to the customers. Later-dated changes stay queued for a later evaluation.
    """
    if not customer_ids:
        return {}
    table = CustomerChange._meta.db_table
    if connection.vendor == "postgresql":
        # DELETE ... RETURNING reads exactly the rows it removes: none is lost in between.
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH taken AS (
                    DELETE FROM {table} WHERE customer_id = ANY(%s) AND since <= %s RETURNING customer_id, since
                ) SELECT customer_id, min(since) FROM taken GROUP BY customer_id""",
                [list(customer_ids), until],
            )
            return dict(cursor.fetchall())
    changes = CustomerChange.objects.filter(customer_id__any_of=customer_ids, since__lte=until)
    earliest = _earliest_by_customer(changes.values_list("customer_id", "since"))
    changes.delete()
    return earliest


def _customer_changes_fold_postgresql(customer_ids: Sequence[int] | None) -> dict[int, dt.datetime]:
    customer_table, change_table = Customer._meta.db_table, CustomerChange._meta.db_table
    if customer_ids is None:
        # Skipping the locked ones, a fold never waits: it cannot deadlock with another or with a run.
        customers = f"""SELECT id FROM {customer_table} WHERE id IN (SELECT customer_id FROM {change_table})
            FOR NO KEY UPDATE SKIP LOCKED"""
        params = []
    else:
        customers, params = "SELECT unnest(%s::bigint[])", [list(customer_ids)]
    with connection.cursor() as cursor:
        # DELETE ... RETURNING reads exactly the rows it removes: none is lost in between.
        cursor.execute(
            f"""
            WITH moved AS (
                DELETE FROM {change_table} WHERE customer_id IN ({customers}) RETURNING customer_id, since
            ), earliest AS (
                SELECT customer_id, min(since) AS since FROM moved GROUP BY customer_id
            )
            UPDATE {customer_table} c SET dirty_since = LEAST(c.dirty_since, e.since)
            FROM earliest e WHERE c.id = e.customer_id
            RETURNING c.id, c.dirty_since
            """,
            params,
        )
        return dict(cursor.fetchall())


# The profile attribute in which a source gives the relationship's start (the demo's and imports' profiles).
CUSTOMER_SINCE = "customer_since"


def customer_since_parse(value: Any, *, now: dt.datetime) -> dt.datetime:
    """The source's customer_since: an ISO date (its midnight UTC) or a date-time with its offset, not later
    than `now`; ValueError saying what is wrong."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO date such as 2023-03-01, as a string")
    try:
        if len(value) == 10:
            since = dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.UTC)
        else:
            since = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value[:40]!r} is not an ISO date such as 2023-03-01") from None
    if since.tzinfo is None:
        raise ValueError("a date-time needs its offset, e.g. 2023-03-01T09:00:00+01:00")
    if since > now:
        raise ValueError("lies in the future: a relationship cannot start later than now")
    return since


def customer_upsert(*, external_id: str, data: Any) -> tuple[Customer, bool]:
    """Create or update a customer's profile; fields left out keep their value. Returns (customer, created).

    The relationship's start (created_at, "customer since") is the source's attributes.customer_since when
    given, else when the customer was first stored. When an update moves it, the customer is queued for
    evaluation from the earlier of the two starts, since tenure and the stage clocks count from it.
    """
    errors: list[dict[str, Any]] = []
    try:
        external_id = external_id_text(external_id)
    except ValueError as exc:
        errors.append(error(None, "external_id", str(exc)))
    clean = CUSTOMER_PROFILE.validate(data, errors=errors)
    since = None
    attributes = clean.get("attributes") if isinstance(clean, dict) else None
    if isinstance(attributes, dict) and CUSTOMER_SINCE in attributes:
        try:
            since = customer_since_parse(attributes[CUSTOMER_SINCE], now=timezone.now())
        except ValueError as exc:
            errors.append(error(None, f"attributes.{CUSTOMER_SINCE}", str(exc)))
    if errors:
        raise InvalidInput("The customer profile is invalid; nothing was stored.", errors)
    if since is None:
        return Customer.objects.update_or_create(external_id=external_id, defaults=clean)
    with transaction.atomic():
        before = (
            Customer.objects.select_for_update()
            .filter(external_id=external_id)
            .values_list("created_at", flat=True)
            .first()
        )
        customer, created = Customer.objects.update_or_create(
            external_id=external_id, defaults={**clean, "created_at": since}
        )
        if before is not None and before != since:
            customer_changes_queue(inserted=[(customer.pk, min(before, since))])
    return customer, created


def api_token_create(*, name: str, scopes: Sequence[str]) -> tuple[ApiToken, str]:
    """A new token for an integration; returns the token and its key, which is shown only once."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("The token name must have 1 to 100 characters.")
    unknown = sorted(set(scopes) - set(ApiScope.values))
    if unknown:
        raise ValueError(f"Unknown scope(s): {', '.join(unknown)}; known: {', '.join(ApiScope.values)}.")
    if not scopes:
        raise ValueError(f"Give at least one scope of: {', '.join(ApiScope.values)}.")
    key = ApiToken.generate_key()
    token = ApiToken.objects.create(
        name=name, key_hash=ApiToken.hash_key(key), prefix=key[:8], scopes=sorted(set(scopes))
    )
    return token, key
