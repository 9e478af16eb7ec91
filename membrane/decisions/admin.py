"""The decision log in the admin: to read, never to change."""

from __future__ import annotations

from django.contrib import admin

from cxcore.admin import ReadOnlyAdmin
from membrane.models.decisions import AgentTask, DecisionLog


@admin.register(DecisionLog)
class DecisionLogAdmin(ReadOnlyAdmin):
    list_display = ["decided_at", "customer", "team", "category", "channel", "at", "verdict", "decided_by", "stage"]
    list_filter = ["verdict", "decided_by", "category", "team"]
    list_select_related = ["customer"]
    search_fields = ["decision_id", "customer__external_id"]
    actions = None


@admin.register(AgentTask)
class AgentTaskAdmin(ReadOnlyAdmin):
    """Tasks are opened and closed by the principles and completed on the task queue (with its team check)."""

    list_display = ["customer", "kind", "team", "status", "due_at", "opened_at", "closed_at"]
    list_filter = ["status", "kind", "team"]
    list_select_related = ["customer"]
    readonly_fields = ["customer", "principle", "version", "kind", "team", "opened_at", "due_at", "closed_at"]
