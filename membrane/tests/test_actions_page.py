"""The agent task queue: a team's open tasks overdue first with why, "Done" for agents and CX managers of the team."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cxcore.factories import CustomerFactory
from membrane.models.decisions import AgentTask, TaskStatus
from membrane.models.principles import PrincipleVersion

HOUR = dt.timedelta(hours=1)


def make_task(*, team="service", due_in=HOUR, slug="free-service-after-three-days-in-crisis", customer=None):
    version = PrincipleVersion.objects.select_related("principle").get(principle__slug=slug, status="published")
    now = timezone.now()
    return AgentTask.objects.create(
        customer=customer or CustomerFactory(),
        principle=version.principle,
        version=version,
        kind=version.params["action"],
        team=team,
        opened_at=now - HOUR,
        due_at=now + due_in,
    )


def test_an_agent_sees_the_open_tasks_of_the_team_overdue_first_and_completes_one(client, agent):
    later = make_task(due_in=5 * HOUR)
    overdue = make_task(due_in=-2 * HOUR, slug="agent-contact-after-recurrences")
    elsewhere = make_task(team="sales")
    client.force_login(agent)

    page = client.get(reverse("actions"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index(f'data-testid="task-{overdue.pk}"') < html.index(f'data-testid="task-{later.pk}"')
    assert f'data-testid="task-{elsewhere.pk}"' not in html  # the user's team by default
    assert html.count('data-testid="overdue"') == 1
    assert f'href="/customers/{later.customer.external_id}/"' in html
    assert "Free service after more than three days in crisis" in html
    assert f'data-testid="task-{elsewhere.pk}"' in client.get(reverse("actions"), {"team": "all"}).content.decode()

    done = client.post(reverse("actions"), {"task": later.pk, "action": "complete"}, HTTP_HX_REQUEST="true")
    assert done.status_code == 200
    later.refresh_from_db()
    assert (later.status, later.done_by) == (TaskStatus.DONE, agent)
    fragment = done.content.decode()
    # The confirmation replaces the task's own row, with its undo.
    assert "<html" not in fragment and fragment.strip().startswith(f'<tr id="task-{later.pk}"')
    assert f'data-testid="undo-{later.pk}"' in fragment
    assert f'data-testid="done-task-{later.pk}"' in client.get(reverse("actions")).content.decode()


def test_the_kind_filter(client, agent):
    call = make_task(slug="agent-contact-after-recurrences")
    free = make_task()
    client.force_login(agent)
    html = client.get(reverse("actions"), {"team": "service", "kind": "agent_contact"}).content.decode()
    assert f'data-testid="task-{call.pk}"' in html and f'data-testid="task-{free.pk}"' not in html


def test_an_outsider_gets_403(client, outsider):
    make_task()
    client.force_login(outsider)
    assert client.get(reverse("actions")).status_code == 403


def test_a_marketer_reads_the_queue_but_cannot_complete(client, marketer):
    task = make_task()
    client.force_login(marketer)
    assert client.get(reverse("actions"), {"team": "all"}).status_code == 200
    assert client.post(reverse("actions"), {"task": task.pk}).status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_an_agent_of_another_team_cannot_complete(client, agent):
    task = make_task(team="sales")
    client.force_login(agent)
    assert client.post(reverse("actions"), {"task": task.pk}).status_code == 403
    assert client.post(reverse("actions"), {"task": 999999}).status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_a_cx_manager_of_the_team_completes(client, service_manager):
    task = make_task()
    client.force_login(service_manager)
    response = client.post(reverse("actions"), {"task": task.pk, "team": "service", "kind": "all"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


@pytest.mark.parametrize("n", [2, 12])
def test_the_list_takes_the_same_queries_however_many_tasks(client, agent, django_assert_num_queries, n):
    from cxcore.facts.set_based import facts_compute_all

    for i in range(n):
        make_task(
            due_in=(i - 3) * HOUR,
            slug="agent-contact-after-recurrences" if i % 2 else "free-service-after-three-days-in-crisis",
        )
    facts_compute_all(at=timezone.now())
    done = make_task()
    AgentTask.objects.filter(pk=done.pk).update(status=TaskStatus.DONE, done_by=agent, done_at=timezone.now())
    client.force_login(agent)
    client.get(reverse("actions"))  # the vocabularies' cache filled
    # session, user, groups, team; open tasks counted, their page; closed tasks; teams; action kinds
    with django_assert_num_queries(9):
        response = client.get(reverse("actions"))
    html = response.content.decode()
    assert html.count('<tr id="task-') == n
    # Why: the facts the condition reads, with the customer's stored values.
    assert "<code>max_issue_recurrence_90d</code> = 0" in html
