"""The evaluation runs page: runs listed for every console role; only a CX manager starts a full run."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from membrane.models import EvaluationRun
from membrane.runs.services import stages_evaluate_all

from .stage_helpers import DAY, NOW, ingest, ticket


def make_run(**fields):
    defaults = {"kind": "full", "as_of": NOW, "started_at": timezone.now(), "outcome": "succeeded"}
    return EvaluationRun.objects.create(**{**defaults, **fields})


def test_runs_are_listed_with_their_figures(client, agent, django_assert_max_num_queries):
    for n in range(5):
        make_run(customers=1000 + n, transitions=7, duration_ms=1234)
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("runs"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "1,004" in body and "1,234 ms" in body
    assert "Start a full run" not in body
    assert 'hx-trigger="every 2s"' not in body


def test_a_running_run_shows_progress_and_polls(client, cx_manager):
    make_run(outcome="running", chunks_total=4, chunks_done=1)
    client.force_login(cx_manager)
    response = client.get(reverse("runs"), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert 'hx-trigger="every 2s"' in body
    assert 'value="25"' in body and "1 of 4 chunks" in body
    assert "<html" not in body
    assert "<script" not in body


def test_a_cx_manager_starts_a_full_run(client, cx_manager, django_capture_on_commit_callbacks):
    client.force_login(cx_manager)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("run-start"), headers={"HX-Request": "true"})
    run = EvaluationRun.objects.get()
    assert response.status_code == 200
    assert (run.kind, run.outcome, run.started_by) == ("full", "running", cx_manager)
    assert len(callbacks) == 1
    assert 'hx-trigger="every 2s"' in response.content.decode()


def test_an_agent_cannot_start_a_run(client, agent):
    client.force_login(agent)
    assert client.post(reverse("run-start")).status_code == 403
    assert not EvaluationRun.objects.exists()


def test_an_outsider_sees_no_runs(client, outsider):
    make_run()
    client.force_login(outsider)
    assert client.get(reverse("runs")).status_code == 403
    assert client.post(reverse("run-start")).status_code == 403


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(reverse("runs"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_run_says_who_started_it(client, agent, cx_manager):
    make_run(started_by=cx_manager, customers=1_250_000)
    make_run(kind="changed", customers=3)
    client.force_login(agent)
    rows = client.get(reverse("runs")).content.decode().split("<tr")[2:]
    started_by = [row.split("<td>")[2].split("</td>")[0] for row in rows]
    assert "schedule" in started_by[0] and cx_manager.username in started_by[1]
    assert "1,250,000" in rows[1]


def test_a_run_with_no_progress_for_long_says_so(client, agent, settings):
    settings.RUN_STALLED_AFTER_SECONDS = 600
    silent_since = timezone.now() - dt.timedelta(minutes=20)
    make_run(outcome="running", chunks_total=4, chunks_done=2, started_at=silent_since, heartbeat_at=silent_since)
    make_run(outcome="running", chunks_total=4, chunks_done=1)
    client.force_login(agent)

    body = client.get(reverse("runs")).content.decode()

    assert body.count('data-testid="stalled"') == 1
    assert f"no progress since {timezone.localtime(silent_since):%Y-%m-%d %H:%M:%S}: it will be resumed" in body


def test_a_run_shows_what_it_changed(client, agent, django_assert_max_num_queries):
    ingest("m1", "purchase", NOW - 3 * DAY, amount="20.00")
    ingest("m2", "purchase", NOW - 2 * DAY, amount="20.00")
    ticket("m3", "T1", NOW - DAY)
    run = stages_evaluate_all(as_of=NOW + DAY)
    client.force_login(agent)

    with django_assert_max_num_queries(8):
        response = client.get(reverse("run", args=[run.pk]))

    body = response.content.decode()
    flows = body.split('data-testid="run-flows"')[1].split("</section>")[0]
    assert flows.index("active") < flows.index("crisis")  # 2 customers entered active, 1 crisis
    assert '<td class="num">2</td>' in flows and '<td class="num">1</td>' in flows
    assert 'href="/customers/m3/"' in body
    assert f'href="/runs/{run.pk}/"' in client.get(reverse("runs")).content.decode()
    assert client.get(reverse("run", args=[run.pk + 1000])).status_code == 404
