"""An editor panel listing catalogue resources a page refers to that learners can no longer see."""

from collections import defaultdict

from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import Panel
from wagtail.fields import StreamField

from cms.blocks.prefetch import collect_references


def referenced_resource_ids(page) -> list[int]:
    """Ids of every catalogue resource a page's streams, program and course list refer to (raw, unresolved)."""
    from catalog.models import LearningResource

    refs = defaultdict(set)
    for field in page._meta.get_fields():
        if isinstance(field, StreamField):
            value = getattr(page, field.name, None)
            if value is not None and hasattr(value, "raw_data"):
                collect_references(field.stream_block, list(value.raw_data), refs, queries=False)
    ids = set(refs.get(LearningResource, set()))
    if getattr(page, "program_id", None):
        ids.add(page.program_id)
    if hasattr(page, "course_links"):
        ids.update(link.resource_id for link in page.course_links.all() if link.resource_id)
    return sorted(ids)


def catalogue_problems(page) -> list[str]:
    """What an editor should fix: chosen resources that were deleted, unpublished or hidden."""
    from catalog.models import LearningResource

    ids = referenced_resource_ids(page)
    problems = []
    if hasattr(page, "course_links") and any(link.resource_id is None for link in page.course_links.all()):
        problems.append(_("A course in the course list was deleted from the catalogue; remove its row."))
    if not ids:
        return problems
    found = {r.pk: r for r in LearningResource.objects.filter(pk__in=ids).only("id", "title", "published", "hidden")}
    for pk in ids:
        resource = found.get(pk)
        if resource is None:
            problems.append(_("Resource #%(id)s was deleted from the catalogue; it is not shown.") % {"id": pk})
        elif resource.hidden:
            problems.append(_("“%(title)s” is hidden by an editor; it is not shown.") % {"title": resource.title})
        elif not resource.published:
            problems.append(_("“%(title)s” is unpublished at its source; it is not shown.") % {"title": resource.title})
    return problems


class CatalogueReferencesPanel(Panel):
    """Shown on the edit form only when some chosen resources are no longer visible to learners."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("heading", _("Catalogue resources that learners can't see"))
        super().__init__(*args, **kwargs)

    class BoundPanel(Panel.BoundPanel):
        template_name = "components/admin/catalogue_references_panel.html"

        @property
        def problems(self):
            if not hasattr(self, "_problems"):
                self._problems = catalogue_problems(self.instance) if self.instance and self.instance.pk else []
            return self._problems

        def is_shown(self):
            return bool(self.problems)

        def get_context_data(self, parent_context=None):
            context = super().get_context_data(parent_context)
            context["problems"] = self.problems
            return context
