# ruff: noqa: S608 - SQL here is assembled from quoted table and column names; values are parameters.
"""Keeping the browse page's precomputed facet counts (catalog.models.facets) exact.

Who bumps `CatalogueVersion.version` (inside the writer's own transaction, so no reader ever sees new resources
with the old version):
- the catalogue loader, once per written batch (catalog.loader.core) and per field re-derivation batch;
- `LearningResourceQuerySet.update()` when it sets a facet field or `published`/`hidden` (FACET_FIELDS);
- `save()`/`delete()` of a resource (admin edits, hide, publish), a change of a resource's topics, and the deletion
  of a topic, offeror or platform (receivers connected in CatalogConfig.ready).
Each bump schedules a rebuild for when the transaction commits (the first one rebuilds, the others of the same
transaction find the counts current), run in the writer's process: two GROUP BY statements over the public
resources and their topic links (see bench/RESULTS.md for its time at 10k and 100k). Until it has run,
`built != version` and the browse page counts over the resources themselves, so counts are exact at every moment.
"""

import logging

from django.db import connection, transaction
from django.db.models import F

from catalog.models import CatalogueVersion, FacetCombination, LearningResource, Offeror, Platform, Topic
from catalog.models.resources import FACET_FIELDS

logger = logging.getLogger(__name__)

FACET_COLUMNS = ("resource_type", "level", "delivery", "free", "certification", "offered_by_id", "platform_id")


def catalogue_changed() -> None:
    """Mark the precomputed counts stale (in the current transaction) and rebuild them once it commits."""
    if not CatalogueVersion.objects.filter(pk=1).update(version=F("version") + 1):
        CatalogueVersion.objects.get_or_create(pk=1, defaults={"version": 2, "built": 0})
    # Every bump queues a rebuild; the first to run after the commit rebuilds, the others find the counts current.
    transaction.on_commit(_rebuild_after_commit, robust=True)


# The name the benchmark (bench/bench_browse.py) calls: what a committed import batch does.
bump_catalogue_version = catalogue_changed


def _rebuild_after_commit() -> None:
    if not counts_are_current():
        rebuild_facet_counts()


def rebuild_facet_counts() -> int:
    """Recount the public catalogue into FacetCombination; returns the version the counts are of.

    The version row is locked first (PostgreSQL): a writer cannot bump it, so cannot commit, while the counts are
    read, and two rebuilds never interleave their DELETE and INSERT. The version is read before the resources, so
    the rows are at least as new as the version they are stamped with.
    """
    quote = connection.ops.quote_name
    combos = quote(FacetCombination._meta.db_table)
    resources = quote(LearningResource._meta.db_table)
    links = quote(LearningResource.topics.through._meta.db_table)
    columns = ", ".join(quote(c) for c in FACET_COLUMNS)
    of_r = ", ".join(f"r.{quote(c)}" for c in FACET_COLUMNS)
    public = f"r.{quote('published')} = %s AND r.{quote('hidden')} = %s"
    with transaction.atomic():
        version = CatalogueVersion.objects.select_for_update().filter(pk=1).values_list("version", flat=True).first()
        if version is None:
            version = CatalogueVersion.objects.get_or_create(pk=1, defaults={"version": 1, "built": 0})[0].version
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {combos}")
            cursor.execute(
                f"INSERT INTO {combos} (topic_id, {columns}, resources) "
                f"SELECT NULL, {of_r}, COUNT(*) FROM {resources} r WHERE {public} GROUP BY {of_r}",
                [True, False],
            )
            cursor.execute(
                f"INSERT INTO {combos} (topic_id, {columns}, resources) "
                f"SELECT t.{quote('topic_id')}, {of_r}, COUNT(*) FROM {links} t "
                f"JOIN {resources} r ON r.{quote('id')} = t.{quote('learningresource_id')} "
                f"WHERE {public} GROUP BY t.{quote('topic_id')}, {of_r}",
                [True, False],
            )
        CatalogueVersion.objects.filter(pk=1).update(built=version)
    return version


def counts_are_current() -> bool:
    return CatalogueVersion.objects.filter(pk=1, built=F("version")).exists()


# --- Receivers (connected in CatalogConfig.ready) -----------------------------------------------------------


def _on_resource_saved(sender, instance, update_fields=None, **kwargs):
    if update_fields is not None and not FACET_FIELDS.intersection(update_fields):
        return
    catalogue_changed()


def _on_changed(sender, **kwargs):
    catalogue_changed()


def _on_topics_changed(sender, action, pk_set=None, **kwargs):
    if action == "post_clear" or (action in ("post_add", "post_remove") and pk_set):
        catalogue_changed()


def rebuild_after_migrate(**kwargs) -> None:
    """After every migrate (the release step): the counts of the catalogue as it is, whatever changed before.
    Nothing when migrated back to before the tables existed."""
    tables = set(connection.introspection.table_names())
    if {FacetCombination._meta.db_table, CatalogueVersion._meta.db_table} <= tables:
        rebuild_facet_counts()


def connect_signals() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    uid = "catalog.browse_counts"
    post_save.connect(_on_resource_saved, sender=LearningResource, dispatch_uid=f"{uid}.saved", weak=False)
    post_delete.connect(_on_changed, sender=LearningResource, dispatch_uid=f"{uid}.deleted", weak=False)
    m2m_changed.connect(
        _on_topics_changed, sender=LearningResource.topics.through, dispatch_uid=f"{uid}.topics", weak=False
    )
    for model in (Topic, Offeror, Platform):
        post_delete.connect(_on_changed, sender=model, dispatch_uid=f"{uid}.{model.__name__}", weak=False)
