"""A CX manager starts a full run from the Runs page in a real browser and watches it go by, without reloading."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from cxcore.factories import CustomerFactory, SignalFactory, make_user
from membrane.models import EvaluationRun

DAY = dt.timedelta(days=1)


@pytest.fixture
def tasks_run_in_the_request():
    """The queued run is carried out where it is queued (after the request's commit), instead of by a worker:
    the Celery tests cover the worker."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_a_cx_manager_starts_a_full_run(page, log_in, tasks_run_in_the_request):
    now = timezone.now()
    for n in range(3):
        SignalFactory(customer=CustomerFactory(external_id=f"C-{n}"), kind="purchase", occurred_at=now - n * DAY)
    log_in(make_user("carla", role="cx_manager", team="cx"))

    page.locator("nav.sidenav a", has_text="Runs").click()
    page.watch.wait_for("text=No evaluation run yet.")
    page.get_by_role("button", name="Start a full run").click()

    row = page.locator("#runs tbody tr").first
    row.locator(".badge", has_text="succeeded").wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[:2] == ["everyone", "carla"]
    assert cells[4:6] == ["3", "3"]  # customers evaluated, each entering a first stage
    assert EvaluationRun.objects.get().started_by.username == "carla"
    page.watch.screenshot("runs-started")
    page.watch.assert_clean()


def test_a_running_run_shows_its_progress_until_it_ends(page, log_in):
    run = EvaluationRun.objects.create(
        kind="full", as_of=timezone.now(), started_at=timezone.now(), chunks_total=4, chunks_done=1
    )
    log_in(make_user("anna", role="agent", team="service"))

    page.goto("/runs/")
    progress = page.locator(f"#runs progress[aria-label='Progress of run {run.pk}']")
    progress.wait_for()
    assert progress.get_attribute("value") == "25"
    assert "1 of 4 chunks" in page.locator("#runs").inner_text()
    assert page.get_by_role("button", name="Start a full run").count() == 0  # an agent cannot start one

    EvaluationRun.objects.filter(pk=run.pk).update(
        outcome="succeeded", chunks_done=4, customers=1200, finished_at=timezone.now(), duration_ms=2500
    )
    page.locator("#runs .badge", has_text="succeeded").wait_for()  # the page polls while a run is under way
    assert page.locator("#runs progress").count() == 0
    assert "1,200" in page.locator("#runs tbody tr").first.inner_text()
    page.watch.assert_clean()
