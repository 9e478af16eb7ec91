"""Access to console pages: one decorator every console view uses, so the rule has one home."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.db.models import prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from .htmx import page_or_fragment, vary_on_htmx
from .models import Role


def console_view(*roles: str) -> Callable:
    """Login required; then the user needs one of `roles` (any console role if none is given).

    An account without a role is a real login that nobody has given a job yet: it gets a 403 page
    that says so, rather than an empty console.

    Every answer says it varies by the htmx headers: any console page may answer htmx with a
    fragment at its own URL, and this is the one place that cannot forget to say so.
    """

    allowed = roles or tuple(Role.values)

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            # The role check and the top bar's role label both read the groups: load them once.
            prefetch_related_objects([request.user], "groups")
            if not request.user.has_role(*allowed):
                template = page_or_fragment(request, "403.html", "reason")
                return vary_on_htmx(TemplateResponse(request, template, {"required_roles": allowed}, status=403))
            return vary_on_htmx(view(request, *args, **kwargs))

        return login_required(wrapped)

    return decorate
