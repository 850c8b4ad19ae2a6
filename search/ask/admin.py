"""Wagtail admin: Ask answers for review (Reports → Ask answers), read-only. Registered from search.wagtail_hooks."""

from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin

from .models import AskMessage


class ReadOnlyPermissionHelper(PermissionHelper):
    """Answers are written by Ask; admins only read them."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class AskMessageAdmin(ModelAdmin):
    model = AskMessage
    menu_label = "Ask answers"
    menu_icon = "help"
    add_to_settings_menu = True
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = ["created_at", "short_question", "mode", "model", "citation_count", "dropped_citations",
                    "no_match", "tokens", "latency_ms", "feedback", "short_error"]  # fmt: skip
    list_filter = ["mode", "feedback", "no_match"]
    search_fields = ["question", "answer"]
    inspect_view_fields = [
        "conversation",
        "created_at",
        "question",
        "answer",
        "citation_summary",
        "dropped_citations",
        "mode",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "latency_ms",
        "no_match",
        "feedback",
        "error",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("conversation")

    def short_question(self, obj):
        return (obj.question[:100] + "…") if len(obj.question) > 100 else obj.question

    short_question.short_description = "Question"

    def citation_count(self, obj):
        return len(obj.citations or [])

    citation_count.short_description = "Citations"

    def short_error(self, obj):
        return (obj.error[:80] + "…") if len(obj.error) > 80 else obj.error

    short_error.short_description = "Error"
