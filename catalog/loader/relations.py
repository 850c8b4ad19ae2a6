"""Ordered parent → child relations (program courses, podcast episodes, playlist videos, learning path items)."""

from django.db import transaction

from catalog.models import LearningResource, ResourceRelationship
from catalog.schemas import CHILD_RELATIONS


class RelationWriter:
    """Mixin of ResourceLoader: children are resolved within the same source, in the order the record gives."""

    def _children_of(self, row, record) -> tuple[str, list] | None:
        if record.resource_type not in CHILD_RELATIONS:
            return None
        relation_type, default_type = CHILD_RELATIONS[record.resource_type]
        refs = [(child.resource_type or default_type, child.source_id) for child in record.children]
        return str(relation_type), refs

    def _write_relations(self, written, batch) -> None:
        parents = {}
        for row, record, existed in written:
            spec = self._children_of(row, record)
            if spec is not None and (spec[1] or existed):
                parents[row.pk] = spec
        if parents:
            unresolved = self._replace_relations(parents)
            batch.deferred.update({pk: parents[pk] for pk in unresolved})

    def _resolve_children(self, refs) -> dict[tuple, int]:
        """(type or None, source_id) → id of the source's resource."""
        ids = {ref[1] for ref in refs}
        found: dict[tuple, int] = {}
        for pk, resource_type, source_id in LearningResource.objects.filter(
            source=self.source, source_id__in=ids
        ).values_list("pk", "resource_type", "source_id"):
            found[(resource_type, source_id)] = pk
            found.setdefault((None, source_id), pk)
        return found

    def _replace_relations(self, parents: dict[int, tuple[str, list]]) -> set[int]:
        """Replace the relations of `parents` with their resolvable children; return parents with missing ones."""
        found = self._resolve_children([ref for _, refs in parents.values() for ref in refs])
        ResourceRelationship.objects.filter(parent_id__in=list(parents)).delete()
        links, unresolved = [], set()
        for parent_id, (relation_type, refs) in parents.items():
            position = 0
            seen = set()
            for ref in refs:
                child_id = found.get(ref)
                if child_id is None:
                    unresolved.add(parent_id)
                    continue
                if child_id in seen or child_id == parent_id:
                    continue
                seen.add(child_id)
                links.append(
                    ResourceRelationship(
                        parent_id=parent_id, child_id=child_id, relation_type=relation_type, position=position
                    )
                )
                position += 1
        ResourceRelationship.objects.bulk_create(links)
        return unresolved

    def _resolve_deferred_relations(self) -> None:
        """Relations whose children were loaded in a later batch (or not at all)."""
        if not self.deferred_relations:
            return
        items = list(self.deferred_relations.items())
        missing: set[int] = set()
        with transaction.atomic():
            for start in range(0, len(items), self.batch_size):
                missing |= self._replace_relations(dict(items[start : start + self.batch_size]))
            if missing:
                # Clear the hash so that the next load retries these parents even if their record is unchanged.
                LearningResource.objects.filter(pk__in=missing).update(content_hash="")
        for parent_id in sorted(missing)[:20]:
            refs = [ref[1] for ref in self.deferred_relations[parent_id][1]]
            self.result.warnings.append(
                f"resource {parent_id}: some children are not in source {self.source!r} (refs {refs[:10]})"
            )
