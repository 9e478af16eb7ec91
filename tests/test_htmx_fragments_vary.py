"""A console URL that answers htmx with a fragment and a visit with the page says so in Vary (issue 12, item 6).

Otherwise the browser keeps one answer per URL and Back, after an htmx swap pushed the URL, shows the
bare fragment as the page. htmx restoring a page it has no snapshot of also sends HX-Request: it gets the page.
"""

from __future__ import annotations

import pytest
from django.utils.cache import has_vary_header

from cxcore.factories import CustomerFactory

# The pages whose htmx swaps push their URL: the customer search and its pages, the task filter, the runs.
PAGES = [
    ("/customers/?q=garage", "results"),
    ("/customers/?q=&page=2", "results"),
    ("/actions/?team=service&kind=all", "queue"),
    ("/runs/", "runs"),
]


@pytest.fixture
def signed_in(client, cx_manager):
    for n in range(30):
        CustomerFactory(external_id=f"C-{n:03d}", name=f"Garage {n}")
    client.force_login(cx_manager)
    return client


def _is_whole_page(response) -> bool:
    return b'<nav class="sidenav"' in response.content and b"<html" in response.content


@pytest.mark.parametrize(("url", "fragment"), PAGES)
def test_the_fragment_and_the_page_both_say_they_vary_by_htmx(signed_in, url, fragment):
    swap = signed_in.get(url, headers={"HX-Request": "true"})
    visit = signed_in.get(url)

    assert swap.status_code == visit.status_code == 200
    assert f'id="{fragment}"'.encode() in swap.content and not _is_whole_page(swap)
    assert _is_whole_page(visit)
    for response in (swap, visit):
        assert has_vary_header(response, "HX-Request"), response.headers.get("Vary")
        assert has_vary_header(response, "HX-History-Restore-Request")
        assert has_vary_header(response, "Cookie")  # the session still varies it too


@pytest.mark.parametrize(("url", "fragment"), PAGES)
def test_htmx_restoring_history_gets_the_whole_page(signed_in, url, fragment):
    restore = signed_in.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})

    assert restore.status_code == 200
    assert _is_whole_page(restore)
    assert f'id="{fragment}"'.encode() in restore.content
