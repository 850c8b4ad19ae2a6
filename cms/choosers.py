"""The catalogue resource chooser: a Wagtail modal to search resources and filter them by type.

Used by the resource blocks (`ResourceChooserBlock`) and by ProgramPage's catalogue program field.
"""

import copy
from contextvars import ContextVar

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wagtail import blocks
from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.chooser import ChooseResultsView, ChooseView
from wagtail.admin.viewsets.chooser import ChooserViewSet

from catalog.models import ResourceType

# Objects loaded in bulk for the stream being converted ({model: {pk: obj}}); see cms.blocks.prefetch.
_preloaded: ContextVar[dict | None] = ContextVar("cms_preloaded_objects", default=None)


class PreloadingChooserMixin:
    """A ChooserBlock that takes its objects from `prefetch_stream()` when one is active."""

    def get_queryset(self):
        return self.model_class._default_manager.all()

    def fetch(self, ids):
        return self.get_queryset().in_bulk(ids)

    def bulk_to_python(self, values):
        values = list(values)
        cache = _preloaded.get()
        known = cache.get(self.model_class, {}) if cache is not None else {}
        missing = {value for value in values if value is not None and value not in known}
        objects = {**known, **(self.fetch(missing) if missing else {})}
        result, seen = [], set()
        for pk in values:
            obj = objects.get(pk)
            if obj is not None and pk in seen:
                obj = copy.copy(obj)
            result.append(obj)
            seen.add(pk)
        return result

    def to_python(self, value):
        return self.bulk_to_python([value])[0] if value is not None else None


class ResourceFilterForm(BaseFilterForm):
    q = forms.CharField(label=_("Search"), required=False, widget=forms.TextInput(attrs={"placeholder": _("Search")}))
    resource_type = forms.ChoiceField(
        label=_("Type"), required=False, choices=[("", _("All types")), *ResourceType.choices]
    )
    include_unpublished = forms.BooleanField(label=_("Include unpublished and hidden"), required=False)

    def filter(self, objects):
        data = self.cleaned_data
        if not data.get("include_unpublished"):
            objects = objects.public()
        if data.get("resource_type"):
            objects = objects.filter(resource_type=data["resource_type"])
        query = (data.get("q") or "").strip()
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(
                Q(title__icontains=query)
                | Q(source_id__iexact=query)
                | Q(slug__icontains=query)
                | Q(offered_by__name__icontains=query)
            )
        return objects


class ResourceChooseMixin:
    filter_form_class = ResourceFilterForm
    per_page = 20

    def get_object_list(self):
        return self.model_class.objects.select_related("offered_by").order_by("-featured", "title")

    def filter_object_list(self, objects):
        # Wagtail filters on every `url_filter_parameters` key present, even empty: the search form's "All types"
        # sends `resource_type=`, which matched no resource. An empty filter is no filter.
        if "resource_type" in self.request.GET and not self.request.GET["resource_type"]:
            self.request.GET = self.request.GET.copy()
            del self.request.GET["resource_type"]
        return super().filter_object_list(objects)

    @property
    def columns(self):
        return [
            *super().columns,
            Column("type", label=_("Type"), accessor="get_resource_type_display"),
            Column("offered_by", label=_("Offered by"), accessor="offered_by"),
            Column("status", label=_("Status"), accessor=resource_status),
        ]


def resource_status(resource) -> str:
    if resource.hidden:
        return _("Hidden by an editor")
    return _("Published") if resource.published else _("Unpublished at source")


class ResourceChooseView(ResourceChooseMixin, ChooseView):
    pass


class ResourceChooseResultsView(ResourceChooseMixin, ChooseResultsView):
    pass


class BaseResourceChooserBlock(PreloadingChooserMixin, blocks.ChooserBlock):
    """Chooses a catalogue resource; values load in bulk with what a card shows (see cms.blocks.catalogue)."""

    def get_queryset(self):
        from cms.blocks.catalogue import card_queryset

        return card_queryset(public_only=False)

    def get_api_representation(self, value, context=None):
        from cms.blocks.catalogue import serialize_resources

        if value is None or not value.is_public:
            return None
        serialized = serialize_resources([value.pk], context)
        return serialized[0] if serialized else None


class ResourceChooserViewSet(ChooserViewSet):
    model = "catalog.LearningResource"
    icon = "doc-full-inverse"
    choose_one_text = _("Choose a catalogue resource")
    choose_another_text = _("Choose another resource")
    edit_item_text = _("Edit resource")
    choose_view_class = ResourceChooseView
    choose_results_view_class = ResourceChooseResultsView
    base_block_class = BaseResourceChooserBlock
    preserve_url_parameters = ["multiple", "resource_type"]
    url_filter_parameters = ["resource_type"]


resource_chooser_viewset = ResourceChooserViewSet("resource_chooser", url_prefix="catalog-resource-chooser")
ResourceChooserBlock = resource_chooser_viewset.get_block_class(name="ResourceChooserBlock", module_path="cms.choosers")
ResourceChooserWidget = resource_chooser_viewset.widget_class
