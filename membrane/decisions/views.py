"""Console pages of decisions: the decision log (filtered, paged, exported as CSV) and one decision, read-only."""

from __future__ import annotations

import csv

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode

from cxcore.decorators import console_view
from cxcore.models import Category, Channel, Team
from membrane.models.principles import Principle

from .log_selectors import (
    VERDICTS,
    CappedPaginator,
    LogFilter,
    decision_get,
    decision_log_csv_rows,
    decision_log_filtered,
    decision_matched,
    log_filter_read,
)

DECISIONS_PER_PAGE = 50


def _choices() -> dict:
    return {
        "teams": list(Team.objects.order_by("key").values_list("key", "name")),
        "categories": list(Category.objects.order_by("key").values_list("key", "name")),
        "channels": list(Channel.objects.order_by("key").values_list("key", "name")),
        "principles": list(Principle.objects.order_by("slug").values_list("slug", "title")),
        "verdicts": VERDICTS,
    }


@console_view()
def decision_log(request: HttpRequest) -> HttpResponse:
    log_filter, errors = log_filter_read(request.GET)
    page = None
    if not errors:
        page = CappedPaginator(decision_log_filtered(log_filter), DECISIONS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode(log_filter.as_query())
    context = {"page": page, "filter": log_filter, "errors": errors, "keep": query, **_choices()}
    # The verdict kept alone by pagers that know one parameter only.
    context["verdict"] = log_filter.verdict
    others = _without_verdict(log_filter)
    context["verdict_links"] = [
        (label, urlencode({**others, "verdict": value} if value else others), value)
        for label, value in (("All", ""), ("Allowed", "allow"), ("Suppressed", "suppress"))
    ]
    return render(request, "membrane/decisions.html", context)


def _without_verdict(log_filter: LogFilter) -> dict[str, str]:
    return {name: value for name, value in log_filter.as_query().items() if name != "verdict"}


class _Line:
    def write(self, text: str) -> str:
        return text


def _csv_lines(log_filter: LogFilter):
    writer = csv.writer(_Line())
    for row in decision_log_csv_rows(decision_log_filtered(log_filter)):
        yield writer.writerow(row)


@console_view()
def decision_log_csv(request: HttpRequest) -> HttpResponse:
    """The filtered log as CSV, streamed row by row; a filter naming an unknown key is a 400 saying which."""
    log_filter, errors = log_filter_read(request.GET)
    if errors:
        return HttpResponse("; ".join(errors.values()) + "\n", status=400, content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(_csv_lines(log_filter), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="decisions-{stamp}.csv"'
    return response


@console_view()
def decision_detail(request: HttpRequest, decision_id) -> HttpResponse:
    decision = decision_get(decision_id)
    context = {"d": decision, "matched": decision_matched(decision), "facts": sorted(decision.facts.items())}
    return render(request, "membrane/decision_detail.html", context)
