"""modeladmin views for learning resources: listing with CSV export, edit with field locks, inspect."""

from django.contrib.admin.utils import quote
from django.db.models import BooleanField, Case, Value, When
from django.db.models.functions import Length
from django.utils.functional import cached_property
from django.utils.text import capfirst

from wagtail.admin import messages
from wagtail_modeladmin.views import EditView, IndexView, InspectView

from catalog.models import LearningResource, ResourceRelationship
from catalog.signals import send_resources_changed
from catalog.templatetags.catalog_tags import language_names, money

from . import locks

EXPORT_CHUNK_SIZE = 500
INSPECT_CONTENT_FILES = 100
# A spreadsheet runs a cell starting with one of these as a formula; such text is exported with a leading quote.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def field_label(name: str) -> str:
    return capfirst(LearningResource._meta.get_field(name).verbose_name)


class ResourceIndexView(IndexView):
    """The listing; `?export=csv` streams the filtered, searched list (filters as shown) in chunks."""

    @property
    def export_headings(self):
        return self.model_admin.export_headings

    def to_row_dict(self, item):
        return {field: self.model_admin.export_value(item, field) for field in self.list_export}

    def write_csv_row(self, writer, row_dict):
        return writer.writerow(
            {
                field: f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_PREFIXES) else value
                for field, value in (
                    (field, self.preprocess_field_value(field, value, self.FORMAT_CSV))
                    for field, value in row_dict.items()
                )
            }
        )

    def stream_csv(self, queryset):
        # iterator() streams from the database in chunks; prefetching works per chunk.
        return super().stream_csv(queryset.prefetch_related("topics").iterator(chunk_size=EXPORT_CHUNK_SIZE))

    def write_xlsx(self, queryset, output):
        return super().write_xlsx(queryset.prefetch_related("topics"), output)


class ResourceEditView(EditView):
    """Edit with field locks; the save tells search about the change (changed, or removed when not public)."""

    def form_valid(self, form):
        response = super().form_valid(form)
        resource = self.instance
        if resource.is_public:
            send_resources_changed(changed_ids=[resource.pk], sender="catalog.admin")
        else:
            send_resources_changed(removed_ids=[resource.pk], sender="catalog.admin")
        restored = [n for n in form.unlocked if locks.has_source_value(resource, n)]
        pending = [n for n in form.unlocked if n not in restored]
        for level, text, names in (
            (messages.info, "Locked against re-import", form.newly_locked),
            (messages.info, "Unlocked and restored from the source", restored),
            (messages.warning, "Unlocked with no recorded source value (the next import sets it)", pending),
        ):
            if names:
                level(self.request, f"{text}: {', '.join(field_label(name) for name in names)}.")
        return response


class ResourceInspectView(InspectView):
    """Every field, then runs, relations, content files, and each lockable field's source value vs current."""

    def get_field_display_value(self, field_name, field=None):
        """Values for people: Yes/No, language names, prices with their currency ("$2,950")."""
        value = getattr(self.instance, field_name, None)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if field_name == "languages" and value:
            return language_names(value)
        if field_name in ("min_price", "max_price") and value is not None:
            return money(value, self.instance.currency)
        return super().get_field_display_value(field_name, field)

    @cached_property
    def resource(self):
        return (
            LearningResource.objects.select_related("offered_by", "platform", "image")
            .prefetch_related("topics", "departments", "instructor_links__instructor")
            .get(pk=self.instance.pk)
        )

    def get_context_data(self, **kwargs):
        resource = self.resource
        self.instance = resource
        content_files = (
            resource.content_files.select_related("run")
            .defer("content")
            .annotate(
                has_text=Case(When(content="", then=Value(False)), default=Value(True), output_field=BooleanField()),
                text_length=Length("content"),
            )
            .order_by("key")
        )
        url_helper = self.url_helper
        context = {
            "runs": list(resource.runs.all()),
            "children": [
                (link, url_helper.get_action_url("inspect", quote(link.child_id)))
                for link in resource.child_links.select_related("child").order_by("relation_type", "position")
            ],
            "parents": [
                (link, url_helper.get_action_url("inspect", quote(link.parent_id)))
                for link in ResourceRelationship.objects.filter(child=resource).select_related("parent")
            ],
            "content_files": list(content_files[:INSPECT_CONTENT_FILES]),
            "content_file_count": resource.content_files.count(),
            "content_file_limit": INSPECT_CONTENT_FILES,
            "lock_rows": self.lock_rows(resource),
            "edit_url": url_helper.get_action_url("edit", quote(resource.pk)),
        }
        context.update(kwargs)
        return super().get_context_data(**context)

    def lock_rows(self, resource):
        topic_parents = locks.topic_map()
        rows = []
        for name in locks.LOCKABLE_FIELDS:
            current = locks.current_value(resource, name, topic_parents)
            has_source = locks.has_source_value(resource, name)
            source = locks.source_value(resource, name)
            rows.append(
                {
                    "name": name,
                    "label": field_label(name),
                    "locked": name in (resource.locked_fields or []),
                    "current": locks.display_value(current),
                    "source": locks.display_value(source) if has_source else "not recorded",
                    "differs": has_source and locks.values_differ(name, current, source),
                }
            )
        return rows
