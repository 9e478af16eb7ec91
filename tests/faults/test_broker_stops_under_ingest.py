"""The broker stops while signals arrive and decisions are asked (issue 18, faults): a redis-server of the test's
own, killed under a real gunicorn, Celery worker and beat. Ingest stores every signal and answers 201 though it
cannot queue their customers' re-evaluation, decisions answer; once the broker is back, empty, beat's round
re-evaluates every customer changed meanwhile, asked about or not, and the next ingest queues again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from bench.worker import backlog
from cxcore.models import Signal
from membrane.models import CustomerStage

from .servers import Answer, Processes, RedisServer, app_environment, call, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.celery]

# An open ticket for more than a day is a crisis (the seeded stage rules); beat asks for the changed customers'
# re-evaluation every REEVALUATE_EVERY_SECONDS.
OPENED = timezone.now() - dt.timedelta(days=2)
BEAT_EVERY_SECONDS = 2


@pytest.fixture
def database_url():
    if connection.vendor != "postgresql":
        pytest.skip("the app's processes are tested on PostgreSQL, the production database")
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    return f"postgres://{settings['USER']}@{host}:{port}/{settings['NAME']}"


class Feed:
    """An integration's traffic: a ticket opened for a customer, a marketer's question about one."""

    def __init__(self, port: int, token: str):
        self.port = port
        self.headers = {"Authorization": f"Bearer {token}"}

    def ticket(self, customer: str) -> Answer:
        item = {"customer": customer, "kind": "ticket_opened", "occurred_at": OPENED.isoformat(), "ticket_ref": "T1"}
        return call(self.port, "POST", "/api/v1/signals", body={"signals": [item]}, headers=self.headers)

    def decide(self, customer: str) -> Answer:
        question = {"customer": customer, "team": "marketing_devices", "category": "upsell", "channel": "email"}
        return call(self.port, "POST", "/api/v1/decisions", body=question, headers=self.headers)


def in_crisis(customers: list[str]) -> set[str]:
    stages = CustomerStage.objects.filter(customer__external_id__in=customers, stage="crisis")
    return set(stages.values_list("customer__external_id", flat=True))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ingest_and_decisions_keep_working_without_the_broker_and_reevaluation_catches_up(
    database_url, make_token, tmp_path
):
    broker = RedisServer(tmp_path)
    broker.start()
    env = app_environment(
        database_url=database_url,
        broker_url=broker.url,
        TEST_DATABASE_NAME=connection.settings_dict["NAME"],
        REEVALUATE_EVERY_SECONDS=str(BEAT_EVERY_SECONDS),
    )
    processes = Processes(tmp_path)
    feed = Feed(0, make_token("ingest", "decide"))
    try:
        processes.celery("worker", ["worker", "--pool=solo", "--without-gossip", "--without-mingle"], env)
        processes.celery("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")], env)
        feed.port = processes.gunicorn(env)
        assert feed.ticket("before").status == 201
        wait_for(lambda: in_crisis(["before"]), timeout=45, what="the worker to evaluate a customer")

        broker.kill()
        # The worker has finished what it took before (its pool runs a task as it takes it) once it finds the
        # broker gone: no run under way claims what follows.
        wait_for(lambda: "Cannot connect" in processes.log("worker"), timeout=30, what="the worker to miss its broker")
        outage = [f"outage-{n}" for n in range(6)]
        asked, not_asked = outage[:3], outage[3:]
        ingested = [feed.ticket(customer) for customer in outage]
        decided = [feed.decide(customer) for customer in [*asked, "before"]]
        # Beat misses the broker in one of two ways: its publish fails (it was connected), or it cannot connect
        # (its first round came after the kill), and then it retries, further apart each time.
        wait_for(
            lambda: any(said in processes.log("beat") for said in ("Message Error", "beat: Connection error")),
            timeout=60,
            what="beat to miss its broker",
        )
        waiting_while_down = backlog()
        not_asked_in_crisis_while_down = in_crisis(not_asked)

        broker.start()
        wait_for(lambda: in_crisis(outage) == set(outage) and backlog() == 0, timeout=90, what="the catch-up")
        after = feed.ticket("after")
        wait_for(lambda: in_crisis(["after"]), timeout=30, what="the next ingest's re-evaluation")
    finally:
        processes.stop_all()
        broker.kill()

    assert [answer.status for answer in ingested] == [201] * len(outage)
    assert all(answer.json() == {"accepted": 1, "duplicates": 0} for answer in ingested)
    assert Signal.objects.filter(customer__external_id__in=outage).count() == len(outage)
    assert [answer.status for answer in decided] == [200] * len(decided)
    # A decision brings its customer up to now itself: it saw the ticket stored while the broker was down.
    assert [answer.json()["stage"] for answer in decided] == ["crisis"] * len(decided)
    assert max(answer.seconds for answer in ingested + decided) < 5
    # Nothing re-evaluated the customers nobody asked about until the broker came back.
    assert not_asked_in_crisis_while_down == set()
    assert waiting_while_down >= len(not_asked)
    assert after.status == 201 and after.seconds < 5
    assert "signals_ingested receiver" in processes.log("gunicorn")  # each missed queueing is logged
