"""The review queue: for a CX manager, versions of other teams awaiting their approval, the longest waiting first."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cxcore.decorators import console_view
from cxcore.models import Role

from . import selectors


@console_view(Role.CX_MANAGER, Role.ADMIN)
def review_queue(request: HttpRequest) -> HttpResponse:
    return render(request, "membrane/principles_review.html", {"items": selectors.review_queue(request.user)})
