"""Only those who may complete a task see "Done"; a refused "Done" says the real reason in the task's row.

Issue 12, item 10.
"""

from __future__ import annotations

from django.urls import reverse

from cxcore.factories import make_user
from membrane.models.decisions import TaskStatus
from membrane.tests.test_actions_page import make_task

REASON = "Only agents and CX managers of the task&#x27;s team complete it."


def test_done_is_offered_only_on_the_tasks_of_the_users_team(client, agent):
    own = make_task(team="service")
    other = make_task(team="sales")
    client.force_login(agent)

    html = client.get(reverse("actions"), {"team": "all"}).content.decode()

    assert f'data-testid="task-{other.pk}"' in html  # the queue is readable...
    assert f'data-testid="done-{own.pk}"' in html
    assert f'data-testid="done-{other.pk}"' not in html  # ...but "Done" is for the task's team


def test_an_administrator_is_offered_done_everywhere(client, db):
    task = make_task(team="sales")
    client.force_login(make_user("adam", role="admin", team=None))
    html = client.get(reverse("actions"), {"team": "all"}).content.decode()
    assert f'data-testid="done-{task.pk}"' in html


def test_a_refused_htmx_done_answers_the_reason_in_place_of_the_button(client, agent):
    task = make_task(team="sales")
    client.force_login(agent)

    response = client.post(
        reverse("actions"), {"task": task.pk, "team": "all", "kind": "all"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert response.status_code == 403
    assert REASON in html
    assert "another role" not in html and "<html" not in html  # the task's row, not a page
    assert html.strip().startswith(f'<tr id="task-{task.pk}"')
    assert response.headers["HX-Retarget"] == f"#task-{task.pk}"
    assert response.headers["HX-Reswap"] == "outerHTML"
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_refused_done_without_htmx_shows_the_reason_on_the_403_page(client, agent):
    task = make_task(team="sales")
    client.force_login(agent)

    response = client.post(reverse("actions"), {"task": task.pk})

    html = response.content.decode()
    assert response.status_code == 403
    assert REASON in html and "another role" not in html
    assert "<html" in html


def test_a_role_refusal_to_htmx_is_a_fragment(client, marketer):
    client.force_login(marketer)
    response = client.post(reverse("run-start"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 403
    assert 'data-testid="not-allowed"' in html and "<html" not in html
