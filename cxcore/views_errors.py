"""The console's error pages (templates/404.html, 500.html and 503.html), in the layout with its navigation.

A 404 is Django's own view: it renders 404.html with the request, so the context processors give
it the navigation and the user. A 500 needs a view of its own: Django renders 500.html with no
context at all (the session, the user or the database may be what failed), so the page would lose
its navigation; this view gives it the navigation alone, which needs nothing but the URL
configuration. The API gets its error shape instead.

A database that does not answer (restarting, unreachable, or refusing the transaction: an
OperationalError) is no fault of the request: it is a 503 saying so, with Retry-After, for the
page and the API alike, wherever it was raised (a view, the session, the token's lookup). The
traceback still goes to the log.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.template import loader

from .context_processors import navigation

logger = logging.getLogger(__name__)

# What the browser gets when even the styled page cannot be rendered (a broken URL configuration).
BARE_500 = "<!doctype html><title>Server error</title><h1>Server error (500)</h1>"

DATABASE_UNAVAILABLE = (
    "The database did not answer this request (it may be restarting or unreachable). "
    "Nothing is wrong with the request: try again in a few seconds."
)
BARE_503 = (
    f"<!doctype html><title>Database unavailable</title><h1>Database unavailable (503)</h1><p>{DATABASE_UNAVAILABLE}"
)
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this handler inside its `except` clause: the exception being handled is the one raised.
    if isinstance(sys.exc_info()[1], (OperationalError, InterfaceError)):
        return database_unavailable(request)
    if request.path.startswith("/api/"):
        # The API's one error shape (cxcore.api_errors), not a page.
        return JsonResponse({"detail": "Server error."}, status=500)
    try:
        html = loader.render_to_string("500.html", navigation(request))
    except Exception:
        logger.exception("The 500 page could not be rendered; the bare one was sent")
        html = BARE_500
    return HttpResponseServerError(html)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": DATABASE_UNAVAILABLE}, status=503)
    else:
        context = {**navigation(request), "message": DATABASE_UNAVAILABLE, "again": request.get_full_path()}
        try:
            html = loader.render_to_string("503.html", context)
        except Exception:
            logger.exception("The 503 page could not be rendered; the bare one was sent")
            html = BARE_503
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
