"""The set-based sync of everyone and the per-customer sync leave exactly the same tasks behind."""

from __future__ import annotations

import contextlib
import random

from django.db import transaction

from cxcore.models import Customer
from membrane.actions.services import actions_sync
from membrane.models.decisions import AgentTask
from membrane.runs.services import stages_evaluate_all, stages_evaluate_changed

from .principles_support import draft, publish
from .stage_helpers import DAY, NOW, ingest, ticket


class Rollback(Exception):
    pass


def random_customer(rng: random.Random, external_id: str) -> None:
    ingest(external_id, "account_created", NOW - 400 * DAY)
    for n in range(rng.randint(0, 7)):
        at = NOW - rng.randint(0, 120 * 24) * DAY / 24
        kind = rng.choice(["ticket", "ticket", "resolved_ticket", "recurring", "purchase", "survey"])
        if kind == "recurring":  # the reference story's terminal: the same problem four times
            for k in range(4):
                ticket(external_id, f"R{n}-{k}", at - (4 - k) * DAY, resolved=at - (4 - k) * DAY + DAY / 2)
        elif kind == "ticket":
            ticket(external_id, f"T{n}", at, issue=rng.choice(["terminal", "reader"]))
        elif kind == "resolved_ticket":
            ticket(external_id, f"T{n}", at, resolved=at + rng.randint(1, 15) * DAY, issue="terminal")
        elif kind == "purchase":
            ingest(external_id, "purchase", at, amount="10.00")
        else:
            ingest(external_id, "survey_response", at, score=rng.randint(0, 10), scale=10)


def prescribe(cx_manager, service_manager, condition: str, *, repeat_days=None):
    version = draft(
        cx_manager,
        title=f"Prescribed when {condition}",
        categories=[],
        condition=condition,
        effect="prescribe",
        params={"action": "agent_contact", "team": "service", "due_hours": 8, "repeat_days": repeat_days},
        priority=0,
        examples=[],
    )
    publish(version, author=cx_manager, reviewer=service_manager)


def tasks_after(times, sync) -> list[tuple]:
    """The tasks a sequence of full runs and syncs leaves; rolled back afterwards so the next sequence starts alike."""
    result: list[tuple] = []
    with contextlib.suppress(Rollback), transaction.atomic():
        for at in times:
            stages_evaluate_all(as_of=at, chunk_size=9)
            sync(at)
        result = sorted(
            AgentTask.objects.values_list(
                "customer__external_id",
                "principle__slug",
                "version_id",
                "kind",
                "team",
                "status",
                "opened_at",
                "due_at",
                "closed_at",
                "episode_ended_at",
            )
        )
        raise Rollback
    return result


def test_set_based_and_per_customer_syncs_agree(db, cx_manager, service_manager, django_assert_max_num_queries):
    rng = random.Random(7)
    for n in range(30):
        random_customer(rng, f"c{n}")
    # Nulls, a repeating action and a condition on the local time (evaluated in Python) beside the reference ones.
    prescribe(cx_manager, service_manager, "days_since_last_purchase > 30 or last_survey_score < 5", repeat_days=7)
    prescribe(cx_manager, service_manager, 'stage != "crisis" and local_hour >= 0 and eta_given')
    stages_evaluate_changed(at=NOW)  # everyone's history in event time, so the stages have real ages
    ids = list(Customer.objects.values_list("pk", flat=True))
    times = [NOW, NOW + 2 * DAY, NOW + 9 * DAY, NOW + 31 * DAY, NOW + 40 * DAY, NOW + 100 * DAY]

    everyone = tasks_after(times, lambda at: actions_sync(at=at))
    one_by_one = tasks_after(times, lambda at: actions_sync(customer_ids=ids, at=at))

    assert everyone == one_by_one
    statuses = {row[5] for row in everyone}
    assert {"open", "closed"} <= statuses, statuses  # the sequence opens and closes tasks
    assert any(row[5] == "closed" and (row[9] is None or row[8] < row[9]) for row in everyone)  # and expires some
    assert len({row[1] for row in everyone}) >= 5  # reference principles and both added ones prescribed something

    # Everyone's facts are stored as of NOW: the sync is a few statements per principle, not a loop.
    stages_evaluate_all(as_of=NOW)
    with django_assert_max_num_queries(45):
        result = actions_sync(at=NOW)
    assert result["customers"] == len(ids)
