"""The queue page (issue 17): paged without a cap, searched by customer, readable labels, unknown filter keys
named, claim shown and refused in the row, complete with a note and undo in the row, without htmx too."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from cxcore.factories import CustomerFactory, make_user
from membrane.actions.selectors import TASKS_PER_PAGE
from membrane.models.decisions import TaskStatus
from membrane.tests.test_actions_page import make_task

HOUR = dt.timedelta(hours=1)
HX = {"HX-Request": "true"}


def rows(html: str) -> int:
    return html.count('<tr id="task-')


def test_every_open_task_is_reachable_page_by_page(client, agent):
    for i in range(TASKS_PER_PAGE + 5):
        make_task(due_in=(i + 1) * HOUR)
    client.force_login(agent)
    first = client.get(reverse("actions")).content.decode()
    second = client.get(reverse("actions"), {"team": "service", "page": 2}).content.decode()
    assert (rows(first), rows(second)) == (TASKS_PER_PAGE, 5)
    assert f"{TASKS_PER_PAGE + 5} tasks" in first


def test_search_by_the_start_of_the_external_id_or_part_of_the_name(client, agent):
    cafe = make_task(customer=CustomerFactory(external_id="M-7001", name="Corner Café"))
    bakery = make_task(customer=CustomerFactory(external_id="M-8002", name="Bakery Sonne"))
    client.force_login(agent)
    by_id = client.get(reverse("actions"), {"q": "m-70"}).content.decode()
    by_name = client.get(reverse("actions"), {"q": "sonne"}).content.decode()
    assert f'id="task-{cafe.pk}"' in by_id and f'id="task-{bakery.pk}"' not in by_id
    assert f'id="task-{bakery.pk}"' in by_name and f'id="task-{cafe.pk}"' not in by_name
    nothing = client.get(reverse("actions"), {"q": "nobody"}).content.decode()
    assert "No open task for service for a customer matching “nobody”" in nothing


def test_action_kinds_read_as_their_names(client, agent):
    task = make_task()  # offer_free_service
    client.force_login(agent)
    html = client.get(reverse("actions")).content.decode()
    assert "Offer free service" in html
    assert f">{task.kind}<" not in html


def test_an_unknown_team_or_kind_is_named_not_taken_for_every_team(client, agent):
    make_task()
    client.force_login(agent)
    html = client.get(reverse("actions"), {"team": "zzz"}).content.decode()
    assert "Unknown team zzz: no task is shown." in html
    assert '<option value="zzz" selected>zzz (unknown)</option>' in html
    assert '<option value="all" selected>every team' not in html
    assert rows(html) == 0
    html = client.get(reverse("actions"), {"kind": "call_me"}).content.decode()
    assert "Unknown action kind call_me" in html and rows(html) == 0


def test_a_very_long_search_is_a_clear_error(client, agent):
    client.force_login(agent)
    response = client.get(reverse("actions"), {"q": "x" * 5000})
    assert response.status_code == 200
    assert "The search is 5,000 characters long; at most 100" in response.content.decode()


def test_a_claim_shows_who_and_another_agent_is_refused_in_the_row(client, agent):
    task = make_task()
    colleague = make_user("bert", role="agent", team="service")
    client.force_login(agent)
    claimed = client.post(reverse("actions"), {"task": task.pk, "action": "claim"}, headers=HX)
    assert claimed.status_code == 200 and f'data-testid="release-{task.pk}"' in claimed.content.decode()

    client.force_login(colleague)
    html = client.get(reverse("actions")).content.decode()
    assert "anna" in html and f'data-testid="claim-button-{task.pk}"' not in html
    assert f'data-testid="done-{task.pk}"' not in html  # no "Done" on someone else's claim
    refused = client.post(reverse("actions"), {"task": task.pk, "action": "claim"}, headers=HX)
    body = refused.content.decode()
    assert refused.status_code == 409 and "they must release it first" in body
    assert refused.headers["HX-Retarget"] == f"#task-{task.pk}" and "<html" not in body
    task.refresh_from_db()
    assert task.claimed_by == agent


def test_complete_with_a_note_then_undo_then_redo_in_the_row(client, agent):
    task = make_task()
    client.force_login(agent)
    done = client.post(reverse("actions"), {"task": task.pk, "action": "complete", "note": "Called"}, headers=HX)
    html = done.content.decode()
    assert f'data-testid="closed-{task.pk}"' in html and "“Called”" in html
    # The list of closed tasks is told to redraw itself, and then shows the task.
    assert done.headers["HX-Trigger"] == "task-closed"
    closed_list = client.get(reverse("actions"), {"team": "service", "part": "done"}, headers=HX).content.decode()
    assert closed_list.strip().startswith('<section class="card card-flush" id="done-list"')
    assert f'data-testid="done-task-{task.pk}"' in closed_list
    token = html.split('name="undo" value="')[1].split('"')[0]

    undone = client.post(reverse("actions"), {"task": task.pk, "action": "undo", "undo": token}, headers=HX)
    assert f'data-testid="flash-{task.pk}"' in undone.content.decode()
    task.refresh_from_db()
    assert (task.status, task.done_by, task.note, task.claimed_by) == (TaskStatus.OPEN, None, "", None)

    client.post(reverse("actions"), {"task": task.pk, "action": "complete"}, headers=HX)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    # The row asked again once the undo ran out is gone: the task is closed.
    assert client.get(reverse("actions"), {"row": task.pk}).content == b""


def test_dismiss_needs_a_note_and_says_so_in_the_row(client, agent):
    task = make_task()
    client.force_login(agent)
    refused = client.post(reverse("actions"), {"task": task.pk, "action": "dismiss", "note": " "}, headers=HX)
    assert refused.status_code == 409 and "Say in a note why" in refused.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN


def test_without_htmx_the_confirmation_and_its_undo_wait_on_the_queue(client, agent):
    task = make_task()
    client.force_login(agent)
    response = client.post(reverse("actions"), {"task": task.pk, "action": "complete", "team": "service"})
    assert response.status_code == 302 and response["Location"].startswith("/actions/?team=service")
    html = client.get(response["Location"]).content.decode()
    assert f'data-testid="notice-{task.pk}"' in html
    token = html.split('name="undo" value="')[1].split('"')[0]
    client.post(reverse("actions"), {"task": task.pk, "action": "undo", "undo": token})
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    assert f'data-testid="notice-{task.pk}"' not in client.get(reverse("actions")).content.decode()
