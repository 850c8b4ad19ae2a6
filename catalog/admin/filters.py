"""List filters of the resource listing that Django's field filters don't cover."""

from django.contrib.admin import SimpleListFilter

from catalog.models import LearningResource, Topic

from .topics import descendant_ids, indented, topic_tree


class TopicFilter(SimpleListFilter):
    """A topic and everything under it, chosen from the tree."""

    title = "topic"
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        self.topics = list(Topic.objects.only("id", "name", "parent_id"))
        return [(str(topic.pk), indented(topic.name, depth)) for topic, depth in topic_tree(self.topics)]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        try:
            topic_id = int(value)
        except ValueError:
            return queryset.none()
        ids = descendant_ids(topic_id, getattr(self, "topics", None))
        # A resource in two chosen sub-topics would appear twice: filter on ids from a subquery instead.
        matching = LearningResource.topics.through.objects.filter(topic_id__in=ids).values("learningresource_id")
        return queryset.filter(pk__in=matching)


class SourceFilter(SimpleListFilter):
    """The importer that owns the row (one query for the distinct sources)."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        sources = LearningResource.objects.order_by("source").values_list("source", flat=True).distinct()
        return [(source, source) for source in sources]

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


class LockedFilter(SimpleListFilter):
    """Whether an editor has locked any field against re-import."""

    title = "locked fields"
    parameter_name = "locked"

    def lookups(self, request, model_admin):
        return [("yes", "Has locked fields"), ("no", "No locked fields")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(locked_fields=[])
        if self.value() == "no":
            return queryset.filter(locked_fields=[])
        return queryset
