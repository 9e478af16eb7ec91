"""What a cap counts (DESIGN.md 7, step 3 of the decision): the outbound contacts in its scope and window."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet

from cxcore.models import Signal, SignalKind

from .engine import CompiledPrinciple


def outbound_contacts() -> QuerySet[Signal]:
    """Every outbound contact: what any cap counts from."""
    return Signal.objects.filter(kind=SignalKind.CONTACT, direction="out")


def cap_window_q(*, cap: CompiledPrinciple, at: dt.datetime) -> Q:
    """Of the outbound contacts, those `cap` counts for a contact at `at`: of any team in its scope, within its
    window (at - D, at]."""
    return cap.scope.q() & Q(occurred_at__gt=at - dt.timedelta(days=cap.params["days"]), occurred_at__lte=at)


def cap_contacts(*, cap: CompiledPrinciple, at: dt.datetime) -> QuerySet[Signal]:
    """Every customer's contacts that `cap` counts for a contact at `at`. The one definition in SQL (with
    cap_window_q): a decision filters it by its customer (membrane.decisions.facts.contacts_in_scope, which
    filters the contacts read with the customer alike), the campaign preview counts the window's contacts of
    every customer at once (journeys.verdict_caps)."""
    return outbound_contacts().filter(cap_window_q(cap=cap, at=at))
