"""The console page of the views recorded of customers (issue 18): who looked at whom and when, for CX managers."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .decorators import console_view
from .models import Customer, Role
from .privacy import customer_views_filtered

PER_PAGE = 50


@console_view(Role.CX_MANAGER, Role.ADMIN)
def customer_views(request: HttpRequest) -> HttpResponse:
    """The latest views, filtered by customer (external id) and viewer (username or token:<name>) from the
    URL, so reload and Back show the same rows; a customer nobody has is refused with a 400 saying so."""
    external_id = request.GET.get("customer", "").strip()
    viewer = request.GET.get("viewer", "").strip()
    customer = Customer.objects.filter(external_id=external_id).first() if external_id else None
    problem = None
    if external_id and customer is None:
        problem = f"There is no customer “{external_id[:100]}”. Check the external id, or clear the filter."
    page = None
    if problem is None:
        records = customer_views_filtered(customer=customer, viewer=viewer)
        page = Paginator(records, PER_PAGE).get_page(request.GET.get("page"))
    keep = urlencode({key: value for key, value in (("customer", external_id), ("viewer", viewer)) if value})
    context = {"external_id": external_id, "viewer": viewer, "page": page, "problem": problem, "keep": keep}
    return render(request, "customers/views.html", context, status=400 if problem else 200)
