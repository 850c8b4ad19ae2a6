"""Admin: the synonym list (a snippet with its own menu item, "Search synonyms"), and the embedding-run history."""

from django.utils.html import format_html

from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, modeladmin_register

from .ask.admin import AskMessageAdmin
from .models import EmbeddingRun, Synonym
from .saved.admin import DigestDeliveryAdmin


class SynonymViewSet(SnippetViewSet):
    model = Synonym
    icon = "search"
    menu_label = "Search synonyms"
    menu_name = "search-synonyms"
    add_to_admin_menu = True
    menu_order = 850  # after Imports (800)
    list_display = ["__str__", "note", "updated_at"]
    search_fields = ["terms", "note"]


register_snippet(SynonymViewSet)


# --- Embedding runs: the vector jobs' history (Settings → Embedding runs) -------------------------


class ReadOnlyPermissionHelper(PermissionHelper):
    """Runs are written by the jobs; the admin only reads them."""

    def user_can_create(self, user):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


STATUS_CLASSES = {"succeeded": "w-status--primary", "failed": "w-status--label", "running": ""}


class EmbeddingRunAdmin(ModelAdmin):
    model = EmbeddingRun
    menu_label = "Embedding runs"
    menu_icon = "resubmit"
    add_to_settings_menu = True
    permission_helper_class = ReadOnlyPermissionHelper
    inspect_view_enabled = True
    list_display = ["started_at", "status_badge", "mode", "trigger", "embedded", "removed", "took", "short_error"]
    list_filter = ["status", "mode", "trigger"]
    inspect_view_fields = [
        "status",
        "mode",
        "trigger",
        "started_at",
        "finished_at",
        "since",
        "encoder",
        "store",
        "resources_embedded",
        "resources_removed",
        "files_embedded",
        "chunks_embedded",
        "files_removed",
        "error",
    ]

    def status_badge(self, obj):
        return format_html('<span class="w-status {}">{}</span>', STATUS_CLASSES[obj.status], obj.get_status_display())

    status_badge.short_description = "Status"

    def embedded(self, obj):
        return f"{obj.resources_embedded} resources, {obj.files_embedded} files ({obj.chunks_embedded} chunks)"

    def removed(self, obj):
        return f"{obj.resources_removed} resources, {obj.files_removed} files"

    def took(self, obj):
        return f"{obj.duration.total_seconds():.1f} s" if obj.duration else "—"

    def short_error(self, obj):
        return (obj.error[:120] + "…") if len(obj.error) > 120 else obj.error

    short_error.short_description = "Error"


modeladmin_register(EmbeddingRunAdmin)
modeladmin_register(AskMessageAdmin)
modeladmin_register(DigestDeliveryAdmin)  # saved-search digests (issue 16)
