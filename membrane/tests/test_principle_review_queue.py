"""The review queue: each CX manager sees the versions of other teams they may approve (the services' four-eyes
rule itself), the longest waiting first, each with a link to its page and to its diff against the published one."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from cxcore.factories import make_user
from membrane.principles import services
from membrane.tests.principles_support import draft, publish

# The users come from fixtures asked for by name (request.getfixturevalue), which pytest-django does not see:
# marked, these tests run with the database tests, before any transactional test has flushed the seeded rows.
pytestmark = pytest.mark.django_db


def _queue(client, user) -> list[str]:
    client.force_login(user)
    response = client.get("/principles/review/")
    assert response.status_code == 200
    page = response.content.decode()
    return [part.split('"', 1)[0] for part in page.split('data-testid="queue-item-')[1:]]


def _submitted(author, slug, *, at=None, editor=None):
    version = draft(author, slug=slug, examples=[])
    if editor is not None:
        version = services.principle_version_update(version=version, actor=editor, lock_version=1, priority=7)
    with time_machine.travel(at or timezone.now(), tick=False):
        return services.principle_version_submit(version=version, actor=author)


def test_four_eyes_decide_whose_queue_a_version_is_in(client, cx_manager, service_manager, agent):
    colleague = make_user("cora", role="cx_manager", team="cx")  # same team as the author
    editor = make_user("eve", role="cx_manager", team="marketing_devices")  # edited it
    other = make_user("olaf", role="cx_manager", team="marketing_services")
    _submitted(cx_manager, "quiet-evenings", editor=editor)

    assert _queue(client, service_manager) == ["quiet-evenings-1"]
    assert _queue(client, other) == ["quiet-evenings-1"]
    assert _queue(client, cx_manager) == []  # the author
    assert _queue(client, colleague) == []  # the author's team
    assert _queue(client, editor) == []  # changed it
    client.force_login(agent)
    assert client.get("/principles/review/").status_code == 403


def test_the_queue_agrees_with_approval(client, cx_manager, service_manager):
    """Every version offered can be approved by the one it is offered to, and no other manager's can."""
    managers = [cx_manager, service_manager, make_user("cora", role="cx_manager", team="cx")]
    versions = [_submitted(author, f"p-{n}") for n, author in enumerate(managers)]
    for manager in managers:
        offered = set(_queue(client, manager))
        for version in versions:
            try:
                services.principle_version_approve(version=version, actor=manager)
            except services.NotAllowed:
                approvable = False
            else:
                approvable = True
                version.approved_at = version.approver = None
                version.save(update_fields=["approved_at", "approver"])
            assert (f"{version.principle.slug}-1" in offered) == approvable


def test_oldest_first_and_approved_ones_leave(client, cx_manager, service_manager):
    now = timezone.now()
    newer = _submitted(cx_manager, "newer", at=now - dt.timedelta(hours=1))
    _submitted(cx_manager, "older", at=now - dt.timedelta(days=2))
    assert _queue(client, service_manager) == ["older-1", "newer-1"]

    services.principle_version_approve(version=newer, actor=service_manager)
    assert _queue(client, service_manager) == ["older-1"]


def test_each_item_links_its_page_and_its_diff_against_the_published(client, cx_manager, service_manager):
    first = draft(cx_manager, slug="quiet-evenings")
    publish(first, author=cx_manager, reviewer=service_manager)
    second = services.principle_version_draft_create(version=first, actor=cx_manager)
    services.principle_version_submit(version=second, actor=cx_manager)
    fresh = _submitted(cx_manager, "never-published")
    client.force_login(service_manager)

    page = client.get("/principles/review/").content.decode()

    assert 'href="/principles/quiet-evenings/#v2"' in page
    assert 'href="/principles/quiet-evenings/diff/?a=1&amp;b=2"' in page
    assert f'href="/principles/never-published/diff/?a=&amp;b={fresh.number}"' in page


@pytest.mark.parametrize("persona", ["marketer", "agent"])
def test_only_managers_have_a_queue(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/principles/review/").status_code == 403
