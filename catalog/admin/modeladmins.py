"""The "Catalogue" menu: learning resources (with field locks) and the editable lookups."""

from django.db.models import Count
from django.utils.html import format_html, format_html_join

from wagtail.admin.panels import FieldPanel, MultiFieldPanel, ObjectList
from wagtail_modeladmin.helpers import PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup

from catalog.models import Department, Instructor, LearningResource, Offeror, Platform, Topic

from .filters import LockedFilter, SourceFilter, TopicFilter
from .forms import LearningResourceForm, TopicForm
from .panels import LockableFieldPanel, LockableObjectList, ReadOnlyYesNoPanel
from .topics import annotate_tree, indented
from .views import ResourceEditView, ResourceIndexView, ResourceInspectView


class ResourcePermissionHelper(PermissionHelper):
    """Resources come from importers: editors correct and hide them, they don't add or delete them.

    (A deleted row would come back with the next import; `hidden` keeps it out of the catalogue for good.)
    """

    def user_can_create(self, user):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


def lockable(name, **kwargs):
    return LockableFieldPanel(name, **kwargs)


class LearningResourceAdmin(ModelAdmin):
    model = LearningResource
    menu_label = "Learning resources"
    menu_icon = "doc-full"
    base_url_path = "catalogue/resources"
    permission_helper_class = ResourcePermissionHelper
    index_view_class = ResourceIndexView
    edit_view_class = ResourceEditView
    inspect_view_class = ResourceInspectView
    inspect_view_enabled = True
    edit_template_name = "catalog/admin/resource_edit.html"
    inspect_template_name = "catalog/admin/resource_inspect.html"
    list_per_page = 50
    list_display = (
        "title",
        "resource_type",
        "source",
        "offered_by",
        "status",
        "locked_count",
        "next_start_date",
    )
    list_filter = (
        "resource_type",
        "offered_by",
        "platform",
        TopicFilter,
        "published",
        "hidden",
        "featured",
        SourceFilter,
        LockedFilter,
    )
    search_fields = ("title", "source_id", "description")
    ordering = ("title",)
    list_export = (
        "id",
        "resource_type",
        "source",
        "source_id",
        "title",
        "url",
        "offered_by",
        "platform",
        "topics",
        "published",
        "hidden",
        "featured",
        "locked_fields",
        "next_start_date",
        "free",
        "min_price",
        "max_price",
        "currency",
        "updated_at",
    )
    export_headings = {
        "id": "ID",
        "resource_type": "Type",
        "source_id": "Source ID",
        "url": "URL",
        "offered_by": "Offeror",
        "topics": "Topics",
        "locked_fields": "Locked fields",
        "next_start_date": "Next start",
        "min_price": "Min price",
        "max_price": "Max price",
        "updated_at": "Updated",
    }
    export_filename = "learning-resources"
    inspect_view_fields = (
        "title",
        "resource_type",
        "source",
        "source_id",
        "slug",
        "url",
        "description",
        "full_description",
        "image",
        "image_url",
        "image_alt",
        "stored_image",
        "image_fetch_status",
        "image_fetch_error",
        "image_fetched_url",
        "image_fetched_at",
        "media_url",
        "transcript_url",
        "languages",
        "course_numbers",
        "keywords",
        "topics",
        "departments",
        "offered_by",
        "platform",
        "certification",
        "certification_type",
        "free",
        "min_price",
        "max_price",
        "currency",
        "delivery",
        "format",
        "pace",
        "duration",
        "duration_seconds",
        "time_commitment",
        "min_weekly_hours",
        "max_weekly_hours",
        "level",
        "license",
        "availability",
        "published_at",
        "next_start_date",
        "view_count",
        "published",
        "source_published",
        "hidden",
        "featured",
        "editorial_note",
        "first_seen",
        "last_seen_in_source",
        "updated_at",
        "content_hash",
    )

    edit_handler = LockableObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("resource_type", read_only=True),
                    FieldPanel("source", read_only=True),
                    FieldPanel("source_id", read_only=True),
                    ReadOnlyYesNoPanel("source_published", heading="Published by the source"),
                ],
                heading="Source",
            ),
            MultiFieldPanel(
                [
                    FieldPanel("featured"),
                    FieldPanel("hidden"),
                    FieldPanel("editorial_note"),
                    FieldPanel("image"),
                ],
                heading="Editorial (never imported)",
            ),
            MultiFieldPanel(
                [
                    lockable("title"),
                    lockable("description"),
                    lockable("full_description"),
                    lockable("url"),
                    lockable("image_url"),
                    lockable("image_alt"),
                    lockable("languages"),
                ],
                heading="Description",
            ),
            MultiFieldPanel(
                [
                    lockable("topics"),
                    lockable("departments"),
                    lockable("offered_by"),
                    lockable("platform"),
                    lockable("instructor_names", lock_name="instructors"),
                    lockable("level"),
                ],
                heading="Classification",
            ),
            MultiFieldPanel(
                [
                    lockable("certification"),
                    lockable("certification_type"),
                    lockable("free"),
                    lockable("delivery"),
                    lockable("format"),
                    lockable("pace"),
                    lockable("duration"),
                    lockable("time_commitment"),
                    lockable("license"),
                    lockable("availability"),
                ],
                heading="Offering",
            ),
        ],
        base_form_class=LearningResourceForm,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("offered_by", "platform")

    def status(self, obj):
        badges = [("Published" if obj.published else "Unpublished", "w-status--primary" if obj.published else "")]
        if obj.hidden:
            badges.append(("Hidden", "w-status--label"))
        if obj.featured:
            badges.append(("Featured", "w-status--primary"))
        return format_html_join(" ", '<span class="w-status {}">{}</span>', ((cls, text) for text, cls in badges))

    status.short_description = "Status"

    def locked_count(self, obj):
        count = len(obj.locked_fields or [])
        if not count:
            return "—"
        return format_html('<span title="{}">{}</span>', ", ".join(obj.locked_fields), count)

    locked_count.short_description = "Locked"

    def export_value(self, obj, field):
        """One cell of the CSV/XLSX export."""
        if field == "topics":
            return "; ".join(sorted(topic.name for topic in obj.topics.all()))
        if field == "locked_fields":
            return "; ".join(obj.locked_fields or [])
        if field in ("offered_by", "platform"):
            related = getattr(obj, field)
            return related.code if related else ""
        value = getattr(obj, field)
        return "" if value is None else value


class TopicAdmin(ModelAdmin):
    model = Topic
    menu_icon = "list-ul"
    base_url_path = "catalogue/topics"
    list_display = ("tree_name", "slug", "parent", "resource_count")
    search_fields = ("name", "slug")
    list_per_page = 200
    ordering = ("tree_position", "name")
    prepopulated_fields = {"slug": ("name",)}
    edit_handler = ObjectList(
        [FieldPanel("name"), FieldPanel("slug"), FieldPanel("parent"), FieldPanel("description")],
        base_form_class=TopicForm,
    )

    def get_queryset(self, request):
        """Topics in tree order with their depth and resource count."""
        return annotate_tree(Topic.objects.select_related("parent").annotate(resource_count=Count("resources")))

    def tree_name(self, obj):
        depth = getattr(obj, "tree_depth", 0)
        return indented(f"└ {obj.name}" if depth else obj.name, depth)

    tree_name.short_description = "Topic"
    tree_name.admin_order_field = "name"

    def resource_count(self, obj):
        return obj.resource_count

    resource_count.short_description = "Resources"
    resource_count.admin_order_field = "resource_count"


class OfferorAdmin(ModelAdmin):
    model = Offeror
    menu_icon = "group"
    base_url_path = "catalogue/offerors"
    list_display = ("name", "code", "url", "resource_count")
    search_fields = ("name", "code")
    panels = [FieldPanel("code"), FieldPanel("name"), FieldPanel("url"), FieldPanel("description")]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(resource_count=Count("resources"))

    def resource_count(self, obj):
        return obj.resource_count

    resource_count.short_description = "Resources"
    resource_count.admin_order_field = "resource_count"


class PlatformAdmin(OfferorAdmin):
    model = Platform
    menu_icon = "site"
    base_url_path = "catalogue/platforms"
    panels = [FieldPanel("code"), FieldPanel("name"), FieldPanel("url")]


class DepartmentAdmin(ModelAdmin):
    model = Department
    menu_icon = "folder-open-1"
    base_url_path = "catalogue/departments"
    list_display = ("code", "name", "school")
    list_filter = ("school",)
    search_fields = ("code", "name", "school")
    panels = [FieldPanel("code"), FieldPanel("name"), FieldPanel("school")]


class InstructorAdmin(ModelAdmin):
    model = Instructor
    menu_icon = "user"
    base_url_path = "catalogue/instructors"
    list_display = ("full_name", "first_name", "last_name")
    search_fields = ("full_name",)
    panels = [FieldPanel("full_name"), FieldPanel("first_name"), FieldPanel("last_name")]


class CatalogueAdminGroup(ModelAdminGroup):
    menu_label = "Catalogue"
    menu_icon = "doc-full-inverse"
    menu_order = 200
    items = (LearningResourceAdmin, TopicAdmin, OfferorAdmin, PlatformAdmin, DepartmentAdmin, InstructorAdmin)
