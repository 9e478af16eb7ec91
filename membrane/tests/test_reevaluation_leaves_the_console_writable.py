"""While a worker (or a request) works out a customer's stage history, however long it takes, every other
request that writes goes through: on SQLite, which has one writer at a time, the history is worked out
outside any write transaction (issue 12, item 7: a login waited for a busy customer's re-evaluation and
answered 500 "database is locked")."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

import membrane.stages.event_time
from cxcore.factories import CustomerFactory, SignalFactory, make_user
from cxcore.models import CustomerChange
from membrane.models import CustomerStage, EvaluationRun, StageTransition
from membrane.runs.services import stages_evaluate_changed
from membrane.stages.one_customer import stage_bring_up_to

from .stage_helpers import DAY, NOW, stored_history

# How long a request waits for another's write transaction: short, so that before the fix the test
# failed in a second, not in the console's twenty.
BUSY_TIMEOUT_S = 1


@pytest.fixture
def file_database(transactional_db):
    """On SQLite, the test database (a file every thread opens on a connection of its own, as in the console)
    with a short busy timeout; elsewhere the test database as it is."""
    if connection.vendor != "sqlite":
        yield
        return
    original = connections.settings["default"]
    options = {**original["OPTIONS"], "timeout": BUSY_TIMEOUT_S}
    connections.settings["default"] = {**original, "NAME": connection.settings_dict["NAME"], "OPTIONS": options}
    before = connections["default"]
    connections["default"] = connections.create_connection("default")
    try:
        yield
    finally:
        connections["default"].close()
        connections["default"] = before
        connections.settings["default"] = original


def evaluate_changed(customer):
    return stages_evaluate_changed(at=NOW)


def bring_up(customer):
    return stage_bring_up_to(customer=customer, at=NOW)


# serialized_rollback: the seeded roles and stage rules are back for the next tests.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("work", [evaluate_changed, bring_up], ids=["changed run", "bring up to"])
def test_a_login_goes_through_while_a_busy_customer_is_evaluated(file_database, client, monkeypatch, work):
    make_user("carla", role="cx_manager", team="cx")
    customer = CustomerFactory(external_id="busy")
    SignalFactory.create_batch(30, customer=customer, kind="purchase", occurred_at=NOW - 3 * DAY)
    CustomerChange.objects.create(customer=customer, since=NOW - 3 * DAY)

    # The replay stands for a long history: it lasts until the login has answered.
    replaying, answered = threading.Event(), threading.Event()
    replay = membrane.stages.event_time._replay_customer

    def slow_replay(**kwargs):
        replaying.set()
        answered.wait(timeout=10)
        return replay(**kwargs)

    monkeypatch.setattr(membrane.stages.event_time, "_replay_customer", slow_replay)
    failures = []

    def worker():
        try:
            work(customer)
        except Exception as exc:  # reported by the test below
            failures.append(exc)
        finally:
            replaying.set()
            connection.close()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert replaying.wait(timeout=10)
        client.raise_request_exception = False
        response = client.post(reverse("login"), {"username": "carla", "password": "pw-for-tests-1"})
    finally:
        answered.set()
        thread.join(timeout=30)

    assert response.status_code == 302, response.content[:300]
    assert response.url == reverse("dashboard")
    assert not failures
    # The worker's work was written once the login had gone through.
    assert CustomerStage.objects.filter(customer=customer, evaluated_through=NOW).exists()
    assert not CustomerChange.objects.exists()
    if work is evaluate_changed:
        run = EvaluationRun.objects.get()
        assert (run.outcome, run.customers) == ("succeeded", 1)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL locks the customer while it is evaluated")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_signal_arriving_while_the_history_is_worked_out_is_not_lost(file_database, monkeypatch):
    customer = CustomerFactory(external_id="busy")
    SignalFactory.create_batch(3, customer=customer, kind="purchase", occurred_at=NOW - 3 * DAY)
    CustomerChange.objects.create(customer=customer, since=NOW - 3 * DAY)
    replaying, arrived = threading.Event(), threading.Event()
    replay = membrane.stages.event_time._replay_customer

    def first_replay_waits(**kwargs):
        if not replaying.is_set():
            replaying.set()
            arrived.wait(timeout=10)
        return replay(**kwargs)

    monkeypatch.setattr(membrane.stages.event_time, "_replay_customer", first_replay_waits)
    runs = []
    thread = threading.Thread(target=lambda: (runs.append(stages_evaluate_changed(at=NOW)), connection.close()))
    thread.start()
    try:
        assert replaying.wait(timeout=10)
        # Back-dated: before the history the run is working out ends.
        SignalFactory(customer=customer, kind="ticket_opened", ticket_ref="T1", occurred_at=NOW - 2 * DAY)
        CustomerChange.objects.create(customer=customer, since=NOW - 2 * DAY)
    finally:
        arrived.set()
        thread.join(timeout=30)

    (run,) = runs
    assert (run.outcome, run.customers) == ("succeeded", 1)
    assert not CustomerChange.objects.exists()
    evaluated = stored_history()
    # The same history as a run that found every signal there from the start.
    StageTransition.objects.all().delete()
    CustomerStage.objects.all().delete()
    CustomerChange.objects.create(customer=customer, since=NOW - 3 * DAY)
    stages_evaluate_changed(at=NOW)
    assert stored_history() == evaluated
    assert [stage for _, _, stage, *_ in evaluated[0]] == ["loyal", "crisis"]
