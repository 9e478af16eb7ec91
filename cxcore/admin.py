from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .erasure import AlreadyErased, customer_erase
from .models import (
    ActionKind,
    ApiScope,
    ApiToken,
    Category,
    Channel,
    Customer,
    CustomerChange,
    CustomerErasure,
    Signal,
    Team,
    User,
)

admin.site.site_header = "CX Membrane administration"
admin.site.site_title = "CX Membrane admin"
admin.site.index_title = "Vocabularies, users, customers and API tokens"


class VocabularyAdmin(admin.ModelAdmin):
    list_display = ["key", "name"]
    search_fields = ["key", "name"]


admin.site.register(Team, VocabularyAdmin)
admin.site.register(Channel, VocabularyAdmin)
admin.site.register(ActionKind, VocabularyAdmin)


@admin.register(Category)
class CategoryAdmin(VocabularyAdmin):
    list_display = ["key", "name", "requires_consent"]
    list_filter = ["requires_consent"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "email", "first_name", "last_name", "team", "is_staff", "is_active"]
    list_filter = ["team", "groups", "is_staff", "is_superuser", "is_active"]
    list_select_related = ["team"]
    fieldsets = (*DjangoUserAdmin.fieldsets, ("Console", {"fields": ["team"]}))
    add_fieldsets = (*DjangoUserAdmin.add_fieldsets, ("Console", {"fields": ["team", "groups"]}))


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["external_id", "name", "email", "segment", "region", "created_at"]
    list_filter = ["segment", "region"]
    search_fields = ["external_id", "name", "email"]
    readonly_fields = ["created_at", "updated_at", "dirty_since"]
    show_full_result_count = False  # a COUNT(*) over millions of customers on every search is not worth it
    actions = ["erase_personal_data"]

    @admin.action(description="Erase personal data (keeps decisions and history under a pseudonym)")
    def erase_personal_data(self, request, queryset):
        erased = []
        for customer in queryset:
            try:
                erased.append(customer_erase(customer, erased_by=request.user.get_username()).pseudonym)
            except AlreadyErased as error:
                self.message_user(request, str(error), messages.WARNING)
        if erased:
            self.message_user(request, f"Erased {len(erased)}: now {', '.join(erased)}.", messages.SUCCESS)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows the services write: they can be looked at, never changed by hand."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomerErasure)
class CustomerErasureAdmin(ReadOnlyAdmin):
    list_display = ["pseudonym", "erased_by", "erased_at", "signals_cleared"]


@admin.register(Signal)
class SignalAdmin(ReadOnlyAdmin):
    """Signals are the record of what happened."""

    list_display = ["occurred_at", "customer", "kind", "direction", "team", "category", "channel", "source"]
    list_filter = ["kind", "direction", "channel", "team", "category", "source"]
    list_select_related = ["customer"]
    search_fields = ["customer__external_id", "ticket_ref", "issue_key", "idempotency_key"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    raw_id_fields = ["customer"]


@admin.register(CustomerChange)
class CustomerChangeAdmin(ReadOnlyAdmin):
    """Customers with signals the incremental run has not evaluated yet (it takes these with its work)."""

    list_display = ["customer", "since"]
    list_select_related = ["customer"]
    search_fields = ["customer__external_id"]
    show_full_result_count = False


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiScope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiToken
        fields = ["name", "scopes", "revoked_at"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "prefix", "scope_list", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["name", "scopes", "revoked_at", "prefix", "created_at", "last_used_at"]

    @admin.display(description="scopes")
    def scope_list(self, obj: ApiToken) -> str:
        return ", ".join(obj.scopes)

    def get_fields(self, request, obj=None):
        # A new token has no prefix or dates yet; revoking only makes sense once it exists.
        if obj is None:
            return ["name", "scopes"]
        return super().get_fields(request, obj)

    def save_model(self, request, obj: ApiToken, form, change: bool) -> None:
        if not change:
            key = ApiToken.generate_key()
            obj.key_hash = ApiToken.hash_key(key)
            obj.prefix = key[:8]
            super().save_model(request, obj, form, change)
            # Only the hash is stored: this message is the one time anyone sees the key.
            messages.warning(request, f"The key of “{obj.name}” is {key} — copy it now, it will not be shown again.")
            return
        super().save_model(request, obj, form, change)
