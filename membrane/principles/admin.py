"""Principles in the Django admin: read-only records; every change of state goes through the services."""

from __future__ import annotations

from django.contrib import admin, messages

from membrane.models.principles import Principle, PrincipleAudit, PrincipleVersion

from . import services


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class VersionInline(admin.TabularInline):
    model = PrincipleVersion
    fields = ["number", "status", "effect", "priority", "condition", "author", "approver", "published_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Principle)
class PrincipleAdmin(ReadOnlyAdmin):
    list_display = ["slug", "title", "team"]
    search_fields = ["slug", "title"]
    inlines = [VersionInline]


def _run(step, request, queryset, **kwargs):
    for version in queryset:
        try:
            step(version=version, actor=request.user, **kwargs)
        except services.PrincipleError as error:
            messages.error(request, f"{version}: {error}")


@admin.action(description="Submit for review")
def submit(modeladmin, request, queryset):
    _run(services.principle_version_submit, request, queryset)


@admin.action(description="Approve (a CX manager of another team)")
def approve(modeladmin, request, queryset):
    _run(services.principle_version_approve, request, queryset)


@admin.action(description="Publish")
def publish(modeladmin, request, queryset):
    _run(services.principle_version_publish, request, queryset)


@admin.action(description="Retire")
def retire(modeladmin, request, queryset):
    _run(services.principle_version_retire, request, queryset)


@admin.register(PrincipleVersion)
class PrincipleVersionAdmin(ReadOnlyAdmin):
    list_display = ["principle", "number", "status", "effect", "priority", "author", "approver", "published_at"]
    list_filter = ["status", "effect"]
    list_select_related = ["principle", "author", "approver"]
    actions = [submit, approve, publish, retire]


@admin.register(PrincipleAudit)
class PrincipleAuditAdmin(ReadOnlyAdmin):
    list_display = ["at", "principle", "version", "action", "actor", "comment"]
    list_filter = ["action"]
    list_select_related = ["principle", "version", "actor"]
