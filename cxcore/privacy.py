"""Data minimisation (issue 18): who may see a customer's contact details, and the record of who viewed a
customer.

`may_see_contact_details` is the one place that decides whether a caller sees email and phone; the 360° page,
the customer list and its search, and the API's customer read all ask it. Marketers do not: they choose
audiences by facts and stages, and the channels send the messages, so an address is of no use to them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .authentication import TokenUser
from .models import Customer, CustomerViewRecord, Role

# The profile's fields a marketer never sees (nor searches by: a match would reveal them).
CONTACT_FIELDS = ("email", "phone")
# How many of the latest views of a customer the 360° page lists for a CX manager.
VIEWS_SHOWN = 10


def may_see_contact_details(user: Any) -> bool:
    """Agents, CX managers and admins see email and phone; marketers and anyone without a role do not.
    An integration's token sees them with the `read` scope (it reads customers to contact them)."""
    if isinstance(user, TokenUser):
        return user.token.has_scope("read")
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(Role.AGENT, Role.CX_MANAGER, Role.ADMIN)


def may_see_views(user: Any) -> bool:
    """Who viewed a customer is for CX managers (and admins) only."""
    if isinstance(user, TokenUser) or not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(Role.CX_MANAGER, Role.ADMIN)


def profile_minimised(profile: dict[str, Any], *, user: Any) -> dict[str, Any]:
    """The profile as `user` may read it: without the contact fields unless they may see them."""
    if may_see_contact_details(user):
        return profile
    return {key: value for key, value in profile.items() if key not in CONTACT_FIELDS}


def viewer_name(user: Any) -> str:
    """Who a view is recorded under: a console user's username, an integration's "token:<name>"."""
    return str(user) if isinstance(user, TokenUser) else user.get_username()


def customer_view_record(*, customer: Customer, user: Any, via: str) -> None:
    """Record that `user` viewed `customer`: one INSERT, nothing read first."""
    CustomerViewRecord.objects.create(customer=customer, viewer=viewer_name(user), via=via)


def customer_views_recent(*, customer: Customer, limit: int = VIEWS_SHOWN) -> list[CustomerViewRecord]:
    """The latest views of `customer`, newest first."""
    return list(CustomerViewRecord.objects.filter(customer=customer).order_by("-viewed_at", "-pk")[:limit])


def customer_views_filtered(*, customer: Customer | None = None, viewer: str = "") -> QuerySet[CustomerViewRecord]:
    """Every recorded view, newest first (by id: the order they were written in, read from the primary key's
    index), of one customer and/or by one viewer when given."""
    records = CustomerViewRecord.objects.select_related("customer").order_by("-pk")
    if customer is not None:
        records = records.filter(customer=customer)
    if viewer:
        records = records.filter(viewer=viewer)
    return records
