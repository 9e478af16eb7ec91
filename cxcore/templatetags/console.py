"""Small presentation helpers shared by every console template."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from cxcore.selectors import vocabulary_label

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


@register.filter
def fact_value(value: object) -> str:
    """A fact as a business user reads it: yes/no for booleans, a dash for unknown."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


@register.filter
def label_of(key: str, labels: dict[str, str]) -> str:
    """A vocabulary key as its name: {{ key|label_of:channel_names }}; a key without a name stays itself."""
    return labels.get(key, key)


@register.filter
def action_label(key: str) -> str:
    """An action kind as people read it, the same on the queue and the customer page: {{ task.kind|action_label }}."""
    return vocabulary_label(vocabulary="action_kind", key=key)
