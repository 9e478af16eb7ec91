"""Console pages of cxcore: the dashboard, customer search and the customer page."""

from __future__ import annotations

import datetime as dt

from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from .charts import chart_data
from .decorators import console_view
from .htmx import page_or_fragment
from .models import Channel, Customer, Signal
from .panels import customer_sections, dashboard_panels
from .selectors import RECENT_SIGNALS, customer_360

CUSTOMERS_PER_PAGE = 25


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
    query = request.GET.get("q", "").strip()
    customers = Customer.objects.only("external_id", "name", "email", "segment", "region", "consent")
    if query:
        customers = customers.filter(
            Q(external_id__icontains=query) | Q(name__icontains=query) | Q(email__icontains=query)
        )
    page = Paginator(customers, CUSTOMERS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query}
    # The search box swaps only the results; a normal visit (or a reload of a pushed URL) gets the page.
    return render(request, page_or_fragment(request, "customers/list.html", "results"), context)


@console_view()
def customer_detail(request: HttpRequest, external_id: str) -> HttpResponse:
    customer = get_object_or_404(Customer, external_id=external_id)
    view = customer_360(customer=customer)
    channel_names = dict(Channel.objects.values_list("key", "name"))
    context = {
        "customer": customer,
        "view": view,
        "consent": [(channel_names.get(key, key), given) for key, given in view["consent"].items()],
        "signals": view["recent_signals"],
        "recent_limit": RECENT_SIGNALS,
    }
    # Sections of other apps (the membrane's stage, may-we matrix, tasks, facts, stage history), rendered
    # from the parts of the view their contributors added.
    sections = customer_sections(context={"customer": customer, "view": view, "channel_names": channel_names})
    return render(request, "customers/detail.html", {**context, "sections": sections})
