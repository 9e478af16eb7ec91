"""GET /api/v1/principles/{slug} answers every version with its example results and diff in the same number of
queries whether the principle has one version or five."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from membrane.principles import services
from membrane.tests.principle_api_support import URL, Console
from membrane.tests.principles_support import draft, publish


def queries_to_read(console: Console, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = console.get(url)
    assert response.status_code == 200
    return len(queries), len(response.json()["versions"])


def test_reading_one_principle_costs_the_same_for_any_number_of_versions(cx_manager, service_manager):
    first = publish(draft(cx_manager), author=cx_manager, reviewer=service_manager)
    url = f"{URL}/{first.principle.slug}"
    console = Console(cx_manager)
    console.get(url)  # the session's first request reads the user once
    one, versions = queries_to_read(console, url)

    for priority in range(4):
        services.principle_version_draft_from_latest(principle=first.principle, actor=cx_manager, priority=priority)
    five, more_versions = queries_to_read(console, url)

    assert (versions, more_versions) == (1, 5)
    assert five == one
