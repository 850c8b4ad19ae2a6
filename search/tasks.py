"""django-q2 tasks (queue "default") that keep the search index in step with the catalogue, pages and news."""

import logging

from .documents import (
    feed_item_documents,
    news_key,
    page_documents,
    page_key,
    resource_documents,
    resource_key,
)
from .engines import get_engine

logger = logging.getLogger(__name__)


def update_resources(changed_ids=(), removed_ids=()) -> dict:
    """Index the public resources among `changed_ids`; remove the others and every id in `removed_ids`."""
    engine = get_engine()
    changed_ids = sorted(set(changed_ids))
    documents = list(resource_documents(changed_ids)) if changed_ids else []
    indexed = {doc.object_id for doc in documents}
    gone = (set(changed_ids) - indexed) | set(removed_ids)
    written = engine.index(documents) if documents else 0
    deleted = engine.delete([resource_key(pk) for pk in sorted(gone)]) if gone else 0
    logger.info("search: indexed %d resources, removed %d", written, deleted)
    return {"indexed": written, "removed": deleted}


def update_pages(page_ids=()) -> dict:
    """Index the live public pages among `page_ids` and remove the rest (drafts, unpublished, private, deleted)."""
    engine = get_engine()
    documents = list(page_documents(page_ids))
    gone = set(page_ids) - {doc.object_id for doc in documents}
    written = engine.index(documents) if documents else 0
    deleted = engine.delete([page_key(pk) for pk in sorted(gone)]) if gone else 0
    return {"indexed": written, "removed": deleted}


def update_feed_items(item_ids=()) -> dict:
    """Index the visible news items among `item_ids` and remove the rest."""
    engine = get_engine()
    documents = list(feed_item_documents(item_ids))
    gone = set(item_ids) - {doc.object_id for doc in documents}
    written = engine.index(documents) if documents else 0
    deleted = engine.delete([news_key(pk) for pk in sorted(gone)]) if gone else 0
    return {"indexed": written, "removed": deleted}


def rebuild_index() -> int:
    """Rebuild the whole index (the task behind `manage.py search_rebuild --async`)."""
    from .documents import all_documents, document_count

    return get_engine().rebuild(all_documents(), total=document_count())
