"""A console page and its htmx fragment share one URL: which one a request gets, and saying so to caches."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

# The request headers that choose between the page and its fragment (see page_or_fragment).
CHOOSING_HEADERS = ("HX-Request", "HX-History-Restore-Request")


def page_or_fragment(request: HttpRequest, template: str, fragment: str) -> str:
    """The template name to render: the named partial for htmx swapping part of the page, the page otherwise.

    htmx restoring a page it has no snapshot of sends HX-Request too, then puts the answer in place
    of the whole body: that request needs the page, or Back shows a bare fragment.
    """
    if request.htmx and not request.htmx.history_restore_request:
        return f"{template}#{fragment}"
    return template


def vary_on_htmx(response: HttpResponse) -> HttpResponse:
    """Tell the browser's cache that the answer depends on the headers above; otherwise it keeps one answer
    per URL, and Back after an htmx swap with a pushed URL shows the fragment it kept as the whole page."""
    patch_vary_headers(response, CHOOSING_HEADERS)
    return response
