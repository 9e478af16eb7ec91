"""Console pages of cxcore: the dashboard, customer search and the customer page."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlencode

from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .charts import chart_data
from .customer_list import ListQueryInvalid, customer_list_page, list_query_parse
from .customer_search import MAX_QUERY
from .decorators import console_view
from .htmx import page_or_fragment
from .models import Channel, Customer, Signal
from .panels import customer_sections, dashboard_panels
from .privacy import customer_view_record, customer_views_recent, may_see_contact_details, may_see_views
from .schemas import InvalidInput
from .selectors import TimelineQuery, customer_360, customer_timeline, vocabulary_keys
from .services import CUSTOMER_SINCE
from .timeline_params import timeline_query_params, timeline_query_parse


@console_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    since = now - dt.timedelta(days=30)
    recent = Signal.objects.filter(occurred_at__gte=since)
    by_kind = list(recent.values("kind").annotate(n=Count("id")).order_by("-n", "kind"))
    context = {
        "customer_count": Customer.objects.count(),
        "signal_count_30d": sum(row["n"] for row in by_kind),
        "signals_by_kind": by_kind,
        "signals_by_kind_chart": chart_data(
            {
                "x": [row["kind"] for row in by_kind],
                "y": [row["n"] for row in by_kind],
                "title": "Signals by kind, last 30 days",
            }
        ),
        # Panels of other apps (the membrane's stages, flows, decisions, tasks, last run), rendered.
        "panels": dashboard_panels(now=now),
    }
    return render(request, "dashboard.html", context)


@console_view()
def customer_list(request: HttpRequest) -> HttpResponse:
    """The search and the list: the URL holds the search, the filters and the page, so reload and Back show
    the same rows. A search or a filter the list cannot answer is refused with a 400 saying why."""
    problem = None
    contact_details = may_see_contact_details(request.user)
    try:
        query = list_query_parse(request.GET, contact_details=contact_details)
    except ListQueryInvalid as exc:
        query, problem = exc.query, exc.detail
    listed = None if problem else customer_list_page(query=query, page=request.GET.get("page"), now=timezone.now())
    context = {
        "query": query,
        "listed": listed,
        "problem": problem,
        "keep": urlencode(query.params(), quote_via=quote),
        "max_query": MAX_QUERY,
        "contact_details": contact_details,
    }
    # The search box swaps only the results; a normal visit (or a reload of a pushed URL) gets the page.
    template = page_or_fragment(request, "customers/list.html", "results")
    return render(request, template, context, status=400 if problem else 200)


@console_view()
def customer_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    """The 360° page. Its signal timeline is filtered and positioned by the URL (timeline_params), so a
    reload or Back shows the same signals; htmx asks for the timeline alone (other filters) or for its next
    page (load more, aimed at the #timeline-more item the page replaces), and gets no more than that."""
    customer = get_object_or_404(Customer, external_id=external_id)
    problem = None
    try:
        query = timeline_query_parse(request.GET, known=None)
    except InvalidInput as exc:
        query, problem = TimelineQuery(), exc.errors
    status = 400 if problem else 200
    fragment = "items" if request.htmx and request.htmx.target == "timeline-more" else "timeline"
    template = page_or_fragment(request, "customers/detail.html", fragment)
    context = {
        "customer": customer,
        "query": query,
        "problem": problem,
        "contact_details": may_see_contact_details(request.user),
    }
    if template != "customers/detail.html":
        page = customer_timeline(customer_id=customer.pk, query=query)
        context |= timeline_context(query=query, signals=page.signals, next_token=page.next and page.next.token())
        return render(request, template, context, status=status)

    # A view of the page is recorded (issue 18); the timeline's own pages above are not new views.
    customer_view_record(customer=customer, user=request.user, via="page")
    view = customer_360(customer=customer, timeline=query)
    channel_names = dict(Channel.objects.values_list("key", "name"))
    context |= timeline_context(query=query, signals=view["recent_signals"], next_token=view["signals_next"])
    context |= {
        "view": view,
        "consent": [(channel_names.get(key, key), given) for key, given in view["consent"].items()],
        "channel_names": channel_names,
        "teams": sorted(vocabulary_keys(vocabulary="team")),
        # The source's customer_since has its own row ("Customer since"): not listed twice.
        "attributes": {key: value for key, value in customer.attributes.items() if key != CUSTOMER_SINCE},
        "viewed_by": customer_views_recent(customer=customer) if may_see_views(request.user) else None,
    }
    # Sections of other apps (the membrane's stage, may-we matrix, tasks, facts, stage history), rendered
    # from the parts of the view their contributors added.
    sections = customer_sections(context={"customer": customer, "view": view, "channel_names": channel_names})
    return render(request, "customers/detail.html", {**context, "sections": sections}, status=status)


def timeline_context(*, query: TimelineQuery, signals: list[dict], next_token: str | None) -> dict:
    """What the timeline's partials show: its signals, the URLs of the next page and of the newest one with
    the same filters, and the filter chosen in each select (one value, as the selects offer)."""
    return {
        "signals": signals,
        "next_url": f"?{timeline_query_params(query, before=next_token)}" if next_token else None,
        "newest_url": f"?{timeline_query_params(query)}",
        "chosen": {
            "kind": query.kinds[0] if len(query.kinds) == 1 else "",
            "channel": query.channels[0] if len(query.channels) == 1 else "",
            "team": query.teams[0] if len(query.teams) == 1 else "",
        },
    }
