"""Small presentation helpers shared by every console template."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag
def badge(value: object, family: str = "", label: object = None) -> str:
    """A coloured label: {% badge customer.stage "stage" %} -> <span class="badge badge-stage-crisis">.

    The colour comes from the CSS class of the family and value (stage, verdict, kind, status,
    severity), so a new stage key still renders, just in the neutral colour.
    """

    text = str(label if label is not None else value).replace("_", " ")
    css = f"badge badge-{family}-{value}" if family else "badge"
    return format_html('<span class="{}">{}</span>', css, text)


@register.simple_tag
def stage_before(stage: str | None) -> str:
    """The stage a change left, as a badge; a customer's first stage left none."""
    if not stage:
        return format_html('<span class="muted small">{}</span>', "first stage")
    return badge(stage, "stage")


@register.filter
def fact_value(value: object) -> str:
    """A fact as a business user reads it: yes/no for booleans, a dash for unknown."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
