""" "Start a full run" pressed twice, or by two managers at once, starts one run (issue 17)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse

from cxcore.factories import make_user
from membrane.models import EvaluationRun
from membrane.runs.services import run_finish
from membrane.runs.start_once import evaluation_run_request

HX = {"HX-Request": "true"}


def test_a_second_press_answers_with_the_run_under_way(client, cx_manager, django_capture_on_commit_callbacks):
    client.force_login(cx_manager)
    with django_capture_on_commit_callbacks() as callbacks:
        first = client.post(reverse("run-start"), headers=HX)
        second = client.post(reverse("run-start"), headers=HX)
    run = EvaluationRun.objects.get()
    assert len(callbacks) == 1  # one run handed to a worker
    assert f"Full run {run.pk} queued." in first.content.decode()
    assert f"Full run {run.pk} is already under way: no second run was started." in second.content.decode()


def test_without_htmx_the_second_press_says_so_after_the_redirect(client, cx_manager):
    client.force_login(cx_manager)
    client.post(reverse("run-start"))
    page = client.post(reverse("run-start"), follow=True).content.decode()
    assert "is already under way: no second run was started." in page
    assert EvaluationRun.objects.count() == 1


def test_once_the_run_has_ended_another_may_start(cx_manager):
    first = evaluation_run_request(user=cx_manager)
    run_finish(run=first.run, outcome="succeeded")
    second = evaluation_run_request(user=cx_manager)
    assert first.created and second.created and second.run.pk != first.run.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_managers_at_once_queue_one_run():
    if connection.vendor != "postgresql":
        pytest.skip("requests at once on threads need PostgreSQL; SQLite has one writer at a time")
    managers = [make_user(f"manager{i}", role="cx_manager", team="cx") for i in range(4)]
    barrier = threading.Barrier(len(managers))
    created: list[bool] = []

    def press(user):
        try:
            barrier.wait()
            created.append(evaluation_run_request(user=user).created)
        finally:
            connection.close()

    threads = [threading.Thread(target=press, args=(user,)) for user in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False, False, False, True]
    assert EvaluationRun.objects.filter(kind="full").count() == 1
