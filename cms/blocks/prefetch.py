"""Load every object a StreamField refers to in a few bulk queries instead of one per block.

Wagtail converts a stream's raw JSON block type by block type, so a page with an image block, a card grid and a
resource list would fetch images and resources once per block type, and each rendition on its own. Before
rendering, `prefetch_stream()` walks the raw data of one or more streams, gathers the ids of every chosen
object (images, pages, catalogue resources), fetches each model once, and publishes the result in a context
variable that the chooser blocks below consult in `bulk_to_python`.
"""

from collections import defaultdict
from contextlib import contextmanager

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock as WagtailImageChooserBlock

from cms.choosers import PreloadingChooserMixin, _preloaded


class ImageChooserBlock(PreloadingChooserMixin, WagtailImageChooserBlock):
    """Wagtail's image chooser, with renditions prefetched so `{% image %}` costs no query."""

    def get_queryset(self):
        return self.model_class._default_manager.prefetch_renditions()


class PageChooserBlock(PreloadingChooserMixin, blocks.PageChooserBlock):
    """A page chooser whose pages are fetched once per stream (the generic Page row is enough for a link)."""

    def get_queryset(self):
        from wagtail.models import Page

        return Page.objects.all()

    def fetch(self, ids):
        objects = self.get_queryset().in_bulk(ids)
        # Editors may restrict a chooser to a page type; a link needs no more than the base row.
        return objects


def collect_references(block, raw, refs, queries=True, request=None):
    """Add the ids of every chosen object under `block` (raw JSON value `raw`) to `refs[model]`.

    With `queries`, blocks that compute their content (resource queries) run their query and add the results.
    With `request`, blocks whose HTML the content cache keeps for it (cms.blocks.cached) are left out.
    """
    if raw is None:
        return
    if isinstance(block, PreloadingChooserMixin):
        if isinstance(raw, int) or (isinstance(raw, str) and raw.isdigit()):
            refs[block.model_class].add(int(raw))
        return
    collect = getattr(block, "collect_references", None) if queries else None
    if collect:
        collect(raw, refs)
    if isinstance(block, blocks.StreamBlock):
        for child in raw or []:
            child_block = block.child_blocks.get(child.get("type")) if isinstance(child, dict) else None
            if child_block is None:
                continue
            peek = getattr(child_block, "peek_fragment", None) if request is not None else None
            if peek is not None and peek(request, child.get("value"), child.get("id")):
                continue
            collect_references(child_block, child.get("value"), refs, queries, request)
    elif isinstance(block, blocks.ListBlock):
        for item in raw or []:
            value = item["value"] if block._item_is_in_block_format(item) else item
            collect_references(block.child_block, value, refs, queries, request)
    elif isinstance(block, blocks.StructBlock) and isinstance(raw, dict):
        for name, child_block in block.child_blocks.items():
            if name in raw:
                collect_references(child_block, raw[name], refs, queries, request)


def fetch_references(refs):
    """Fetch every referenced object: {model: {pk: obj}}, one query per model (plus renditions)."""
    from wagtail.images import get_image_model

    from catalog.models import LearningResource

    Image = get_image_model()
    loaded = {}
    resource_ids = refs.get(LearningResource, set())
    if resource_ids:
        from cms.blocks.catalogue import card_queryset

        loaded[LearningResource] = card_queryset(public_only=False).in_bulk(resource_ids)
        # Resources carry editor-chosen images: fetch them with the page's own images.
        refs[Image].update(r.image_id for r in loaded[LearningResource].values() if r.image_id)
        refs[Image].update(r.stored_image_id for r in loaded[LearningResource].values() if r.stored_image_id)
    for model, ids in refs.items():
        if not isinstance(model, type):
            loaded[model] = ids  # computed results keyed by the block that asked, e.g. a resource query
            continue
        if model is LearningResource or not ids:
            continue
        if model is Image:
            loaded[model] = Image.objects.prefetch_renditions().in_bulk(ids)
        else:
            loaded[model] = model._default_manager.in_bulk(ids)
    # Remember every id asked for, found or not, so the blocks don't look a deleted object up again.
    for model, ids in refs.items():
        if isinstance(model, type) and model in loaded:
            loaded[model] = {pk: loaded[model].get(pk) for pk in ids} | loaded[model]
    images = loaded.get(Image, {})
    for resource in loaded.get(LearningResource, {}).values():
        if resource is not None and resource.image_id:
            resource.image = images.get(resource.image_id)
        if resource is not None and resource.stored_image_id:
            resource.stored_image = images.get(resource.stored_image_id)
    return loaded


@contextmanager
def preloaded(objects):
    token = _preloaded.set(objects)
    try:
        yield
    finally:
        _preloaded.reset(token)


def prefetch_stream(*stream_values, extra_refs=None, request=None):
    """Bulk-load what the given StreamValues refer to and convert them now, so rendering runs no queries.

    Returns the loaded objects ({model: {pk: obj}}) for callers that need more (e.g. page-level images). With the
    `request` being rendered, blocks whose HTML is kept in the content cache are not loaded for.
    """
    refs = defaultdict(set)
    for model, ids in (extra_refs or {}).items():
        refs[model].update(pk for pk in ids if pk)
    for stream in stream_values:
        if stream is None or not hasattr(stream, "raw_data"):
            continue
        collect_references(stream.stream_block, list(stream.raw_data), refs, request=request)
    loaded = fetch_references(refs)
    with preloaded(loaded):
        for stream in stream_values:
            if stream is not None and hasattr(stream, "raw_data"):
                # Iterating converts every child (StreamValue caches them, so the template reuses them).
                for child in stream:
                    prepare = getattr(child.block, "prepare", None)
                    if prepare:
                        prepare(child.value, loaded)
    return loaded
