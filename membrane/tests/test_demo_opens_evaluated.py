"""The console opens on an evaluated population: after load_demo every demo customer has a stored stage and
stored facts (the live counts and previews read them), no change is left queued for the worker, and the agents'
queue holds the tasks the published principles prescribe."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from cxcore.models import Customer, CustomerFacts
from membrane.actions.services import actions_sync
from membrane.models import AgentTask, CustomerStage
from membrane.principles.impact import condition_match_count

pytestmark = pytest.mark.django_db


def test_every_demo_customer_has_a_stored_stage_and_facts_after_load_demo():
    out = io.StringIO()
    call_command("load_demo", "--customers", "40", stdout=out)

    customers = Customer.objects.count()
    assert customers >= 40
    assert CustomerStage.objects.count() == customers
    assert CustomerFacts.objects.count() == customers
    assert not Customer.objects.filter(dirty_since__isnull=False).exists()
    assert condition_match_count(condition="open_tickets > 0") > 0  # the story's merchants have tickets open
    assert "stored everyone's facts" in out.getvalue()


def test_the_agents_queue_opens_with_the_prescribed_tasks_after_load_demo():
    out = io.StringIO()
    call_command("load_demo", "--customers", "40", stdout=out)

    opened = AgentTask.objects.filter(status="open").count()
    assert opened > 0  # the story's crisis merchants are owed a call
    assert f"opened {opened:,} prescribed tasks" in out.getvalue()
    assert actions_sync()["opened"] == 0  # nothing left for the hourly sync to open
