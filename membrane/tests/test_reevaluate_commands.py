"""The reevaluate and replay commands call the same services as the scheduled tasks."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from cxcore.models import Customer
from membrane.models import CustomerStage, EvaluationRun, StageTransition

from .stage_helpers import DAY, NOW, ingest, ticket


def test_reevaluate_all_as_of_a_time(db, capsys):
    ticket("a", "T1", NOW - 2 * DAY)
    call_command("reevaluate", "--all", "--as-of", NOW.isoformat())
    assert "1 customers, 1 transitions" in capsys.readouterr().out
    assert CustomerStage.objects.get(customer__external_id="a").stage == "crisis"


def test_reevaluate_changed_by_default(db, capsys):
    ticket("a", "T1", NOW - 2 * DAY)
    call_command("reevaluate", "--as-of", NOW.isoformat())
    assert EvaluationRun.objects.get().kind == "changed"
    assert StageTransition.objects.get().at == NOW - 2 * DAY


def test_replay_builds_a_daily_history_and_prints_the_distribution(db, capsys):
    ingest("a", "purchase", NOW - 30 * DAY, amount="5.00")
    ticket("a", "T1", NOW - 10 * DAY, resolved=NOW - 7 * DAY)
    ingest("b", "purchase", NOW - 3 * DAY, amount="5.00")

    call_command("replay", "--since", (NOW - 30 * DAY).isoformat(), "--until", NOW.isoformat(), "--step", "1d")

    out = capsys.readouterr().out
    assert "31 evaluations" in out and "active" in out
    history = list(
        StageTransition.objects.filter(customer__external_id="a").order_by("at").values_list("to_stage", "at")
    )
    assert history == [("active", NOW - 30 * DAY), ("crisis", NOW - 10 * DAY), ("active", NOW - 7 * DAY)]
    assert not Customer.objects.filter(dirty_since__isnull=False).exists()


def test_replay_refuses_a_bad_step(db):
    with pytest.raises(CommandError, match="step"):
        call_command("replay", "--since", "2026-01-01", "--step", "0d")


def test_replay_in_event_time_places_transitions_when_they_happened(db, capsys):
    ingest("a", "purchase", NOW - 30 * DAY, amount="5.00")
    ticket("a", "T1", NOW - 10 * DAY, resolved=NOW - 7 * DAY)
    call_command("reevaluate", "--as-of", NOW.isoformat())
    StageTransition.objects.all().delete()  # as if the history had been lost or the rules had changed
    CustomerStage.objects.all().delete()

    call_command("replay", "--since", (NOW - 60 * DAY).isoformat(), "--until", NOW.isoformat())

    out = capsys.readouterr().out
    assert "Event-time replay" in out and "active" in out
    history = list(
        StageTransition.objects.filter(customer__external_id="a").order_by("at").values_list("to_stage", "at")
    )
    assert history == [("active", NOW - 30 * DAY), ("crisis", NOW - 10 * DAY), ("active", NOW - 7 * DAY)]
    assert not Customer.objects.filter(dirty_since__isnull=False).exists()

    call_command("replay", "--since", (NOW - 60 * DAY).isoformat(), "--until", NOW.isoformat())
    assert StageTransition.objects.filter(customer__external_id="a").count() == 3  # a second replay adds nothing
