"""Template helpers of the desk on the 360° page (membrane/_customer_desk.html)."""

from __future__ import annotations

from django import template

from membrane.desk.forms import new_key
from membrane.desk.services import CALL_OUTCOMES

register = template.Library()


@register.simple_tag
def desk_key() -> str:
    """A fresh idempotency key for a form rendered with the page."""
    return new_key()


@register.simple_tag
def call_outcomes() -> list[tuple[str, str]]:
    return list(CALL_OUTCOMES.items())
