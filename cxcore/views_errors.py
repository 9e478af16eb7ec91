"""The console's error pages (templates/404.html and 500.html), in the layout with its navigation.

A 404 is Django's own view: it renders 404.html with the request, so the context processors give
it the navigation and the user. A 500 needs a view of its own: Django renders 500.html with no
context at all (the session, the user or the database may be what failed), so the page would lose
its navigation; this view gives it the navigation alone, which needs nothing but the URL
configuration. The API gets its error shape instead.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader

from .context_processors import navigation

logger = logging.getLogger(__name__)

# What the browser gets when even the styled page cannot be rendered (a broken URL configuration).
BARE_500 = "<!doctype html><title>Server error</title><h1>Server error (500)</h1>"


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        # The API's one error shape (cxcore.api_errors), not a page.
        return JsonResponse({"detail": "Server error."}, status=500)
    try:
        html = loader.render_to_string("500.html", navigation(request))
    except Exception:
        logger.exception("The 500 page could not be rendered; the bare one was sent")
        html = BARE_500
    return HttpResponseServerError(html)
