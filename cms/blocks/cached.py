"""Blocks whose HTML is kept in the content cache (`cms.content_cache`): those that compute their content from the
catalogue or the news (resource queries, the newest programs, topics with counts, latest news, upcoming events).

Their HTML depends on their settings, the database and the clock only — never on the visitor — so it is kept under
the content generation (any content change forgets it) for at most `CONTENT_CACHE_SECONDS`, keyed by the block's
class, its stream id and its settings. Previews render afresh. `prefetch_stream` asks `peek_fragment` first, so a
kept block's queries are not run at all.
"""

from wagtail import blocks

from cms.content_cache import get_or_compute, peek


def plain_value(block, value):
    """A value's JSON form without the list items' generated ids (stable from one load to the next)."""
    if isinstance(block, blocks.ListBlock):
        return [plain_value(block.child_block, item) for item in value or []]
    if isinstance(block, blocks.StructBlock):
        return tuple((name, plain_value(child, value.get(name))) for name, child in block.child_blocks.items())
    return block.get_prep_value(value)


def plain_raw(block, raw):
    """The same form from a stream's raw JSON (what `prefetch_stream` sees), without loading chosen objects."""
    if isinstance(block, blocks.ListBlock):
        return [
            plain_raw(block.child_block, item["value"] if block._item_is_in_block_format(item) else item)
            for item in raw or []
        ]
    if isinstance(block, blocks.StructBlock):
        raw = raw if isinstance(raw, dict) else {}
        return tuple(
            (name, plain_raw(child, raw[name]) if name in raw else plain_value(child, child.get_default()))
            for name, child in block.child_blocks.items()
        )
    if isinstance(block, blocks.ChooserBlock):
        return raw  # the chosen object's id, as get_prep_value gives it
    return block.get_prep_value(block.to_python(raw))


class CachedFragmentMixin:
    """Keeps the block's rendered HTML in the content cache (see the module docstring). `fragment_cacheable`
    says which values qualify (e.g. a program list only when it picks no programs)."""

    fragment_name = "block"

    def fragment_cacheable(self, plain) -> bool:
        return True

    def _fragment_parts(self, request, plain, stream_id, bound_id):
        # The host too: page links in the HTML are relative to the request's site.
        host = request.get_host() if request is not None else ""
        return (type(self).__module__, type(self).__qualname__, host, stream_id, bound_id, plain)

    def peek_fragment(self, request, raw, stream_id) -> bool:
        """Whether this block's HTML for `raw` (a stream child's raw value) is kept: its queries can be skipped."""
        plain = plain_raw(self, raw)
        if not self.fragment_cacheable(plain):
            return False
        return peek(request, self.fragment_name, self._fragment_parts(request, plain, stream_id, None)) is not None

    def render(self, value, context=None):
        render = super().render
        request = (context or {}).get("request")
        plain = plain_value(self, value)
        if request is None or not self.fragment_cacheable(plain):
            return render(value, context=context)
        bound_id = getattr((context or {}).get("block"), "id", None)
        parts = self._fragment_parts(request, plain, (context or {}).get("id"), bound_id)
        return get_or_compute(request, self.fragment_name, parts, lambda: render(value, context=context))
