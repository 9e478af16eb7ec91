"""A principle's scope: an empty list means all, and the Python and SQL forms of the rule agree."""

from __future__ import annotations

import itertools

import pytest

from cxcore.factories import CustomerFactory, SignalFactory
from cxcore.models import Signal
from membrane.principles.scope import Scope

TEAMS = ("sales", "research")
CATEGORIES = ("upsell", "survey")
CHANNELS = ("email", "sms")
SCOPES = [
    Scope(),
    Scope(categories=frozenset({"survey"})),
    Scope(channels=frozenset({"sms"})),
    Scope(teams=frozenset({"sales"})),
    Scope(categories=frozenset({"upsell", "survey"}), channels=frozenset({"email"}), teams=frozenset({"research"})),
]


def test_an_empty_list_covers_every_key_of_its_vocabulary():
    scope = Scope(categories=frozenset({"survey"}))

    assert Scope().covers(team="sales", category="upsell", channel="email")
    assert scope.covers(team="anyone", category="survey", channel="any")
    assert not scope.covers(team="sales", category="upsell", channel="email")
    assert scope.covers_category("survey") and not scope.covers_category("upsell") and not scope.every_category


@pytest.mark.parametrize("scope", SCOPES)
def test_the_sql_form_selects_the_rows_the_python_form_covers(db, scope):
    customer = CustomerFactory()
    for team, category, channel in itertools.product(TEAMS, CATEGORIES, CHANNELS):
        SignalFactory(customer=customer, kind="contact", team=team, category=category, channel=channel)
    rows = Signal.objects.filter(customer=customer)

    in_python = {s.pk for s in rows if scope.covers(team=s.team, category=s.category, channel=s.channel)}

    assert set(rows.filter(scope.q()).values_list("pk", flat=True)) == in_python
    assert in_python  # every scope here covers some of the rows
