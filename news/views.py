"""Learner views of imported feed items (editor pages are served by Wagtail)."""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from cms.caching import cache_public

from .listing import source_names
from .models import FeedItem


@require_safe
@cache_public
def feed_item_detail(request, pk: int):
    """An imported item on our site: its sanitised content, with a link to the original."""
    item = get_object_or_404(FeedItem.objects.public().prefetch_related("topics"), pk=pk)
    context = {"item": item, "source_name": source_names().get(item.source, item.source)}
    return render(request, "news/feed_item.html", context)
