"""Wagtail admin: the record of saved-search digests (Settings → Saved-search digests), read-only: what was sent to
whom and when, and why a send failed. Registered from search.wagtail_hooks."""

from wagtail_modeladmin.options import ModelAdmin

from search.ask.admin import ReadOnlyPermissionHelper

from .models import DigestDelivery


class DigestDeliveryAdmin(ModelAdmin):
    model = DigestDelivery
    menu_label = "Saved-search digests"
    menu_icon = "mail"
    add_to_settings_menu = True
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = ["attempted_at", "user", "frequency", "period", "status", "resource_count", "attempts", "sent_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["user__email", "user__username", "period"]
    inspect_view_fields = [
        "user",
        "frequency",
        "period",
        "status",
        "resource_count",
        "until",
        "attempts",
        "attempted_at",
        "sent_at",
        "error",
    ]
