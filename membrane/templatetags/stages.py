"""Presentation of stages shared by the membrane's templates: {% load stages %}."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from cxcore.facts.days import day_count
from cxcore.templatetags.console import badge

register = template.Library()


@register.simple_tag
def stage_before(stage: str | None) -> str:
    """The stage a change left, as a badge; a customer's first stage left none."""
    if not stage:
        return format_html('<span class="muted small">{}</span>', "first stage")
    return badge(stage, "stage")


@register.simple_tag
def days_in_stage(since, now) -> str:
    """Whole days a customer has held their stage at `now` (the day count days_in_stage shows)."""
    return str(day_count(since, now) or 0)
