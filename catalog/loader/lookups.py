"""A per-load cache of lookup rows (topics, offerors, platforms, departments, instructors).

Each batch asks for everything its records name at once; what is missing is created in bulk. Rows created in a
batch are only remembered once that batch commits (`commit`), so a rolled-back batch leaves no stale ids behind.
"""

import hashlib

from django.utils.text import slugify

from catalog.models import Department, Instructor, Offeror, Platform, Topic
from catalog.schemas import LookupRef, ResourceRecord


def split_topic(path: str) -> tuple[str | None, str]:
    """'Parent > Child' → ('Parent', 'Child'); 'Name' → (None, 'Name')."""
    if " > " in path:
        parent, name = path.split(" > ", 1)
        return parent, name
    return None, path


class _CodeTable:
    """Offerors, platforms or departments: matched by code, then by name (case-insensitive)."""

    def __init__(self, model, fields=("code", "name")):
        self.model = model
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.pending: list[tuple[str, str, int]] = []
        for pk, code, name in model.objects.values_list("pk", *fields):
            self.by_code[code.lower()] = pk
            self.by_name.setdefault(name.lower(), pk)

    def get(self, ref: LookupRef | None) -> int | None:
        if ref is None:
            return None
        return self._find(ref.code, ref.name)

    def _find(self, code: str, name: str) -> int | None:
        pk = self.by_code.get(code.lower())
        if pk is None:
            pk = self.by_name.get(name.lower())
        if pk is None:
            for pending_code, pending_name, pending_pk in self.pending:
                if pending_code.lower() == code.lower() or pending_name.lower() == name.lower():
                    return pending_pk
        return pk

    def ensure(self, refs: list[LookupRef]) -> None:
        missing: dict[str, LookupRef] = {}
        for ref in refs:
            if self._find(ref.code, ref.name) is None:
                missing.setdefault(ref.code.lower(), ref)
        if not missing:
            return
        # ignore_conflicts: another load may create the same row concurrently; read the ids back by code.
        self.model.objects.bulk_create(
            [self.model(code=ref.code, name=ref.name) for ref in missing.values()], ignore_conflicts=True
        )
        for pk, code, name in self.model.objects.filter(code__in=[ref.code for ref in missing.values()]).values_list(
            "pk", "code", "name"
        ):
            self.pending.append((code, name, pk))

    def commit(self) -> None:
        for code, name, pk in self.pending:
            self.by_code[code.lower()] = pk
            self.by_name.setdefault(name.lower(), pk)
        self.pending = []

    def rollback(self) -> None:
        self.pending = []


class LookupCache:
    """Resolves the names and codes in records to lookup ids, creating missing lookups in bulk."""

    def __init__(self):
        self.offerors = _CodeTable(Offeror)
        self.platforms = _CodeTable(Platform)
        self.departments = _CodeTable(Department)
        # Topics: (parent id or None, lower-cased name) → id; flat names also match a child when unambiguous.
        self.topics: dict[tuple[int | None, str], int] = {}
        self.topics_by_name: dict[str, int] = {}
        self.topic_slugs: set[str] = set()
        self.instructors: dict[str, int] = {}
        self._pending_topics: dict[tuple[int | None, str], int] = {}
        self._pending_topic_slugs: set[str] = set()
        self._pending_instructors: dict[str, int] = {}
        for pk, parent_id, name, slug in Topic.objects.order_by("pk").values_list("pk", "parent_id", "name", "slug"):
            self.topics[(parent_id, name.lower())] = pk
            if parent_id is None:
                self.topics_by_name[name.lower()] = pk
            self.topic_slugs.add(slug)
        for pk, name in Topic.objects.order_by("pk").values_list("pk", "name"):
            self.topics_by_name.setdefault(name.lower(), pk)

    # --- batch preparation -----------------------------------------------------------------------------------

    def ensure(self, records: list[ResourceRecord]) -> None:
        """Make sure every lookup the records name exists (a few queries for the whole batch)."""
        self.offerors.ensure([r.offered_by for r in records if r.offered_by])
        self.platforms.ensure([r.platform for r in records if r.platform])
        self.departments.ensure([d for r in records for d in r.departments])
        self._ensure_topics({path for r in records for path in r.topics})
        names = {name for r in records for name in r.instructors} | {
            name for r in records for run in r.runs for name in run.instructors
        }
        self._ensure_instructors(names)

    def _topic(self, parent_id: int | None, name: str) -> int | None:
        key = (parent_id, name.lower())
        return self.topics.get(key) or self._pending_topics.get(key)

    def _flat_topic(self, name: str) -> int | None:
        return self._topic(None, name) or self.topics_by_name.get(name.lower())

    def _ensure_topics(self, paths: set[str]) -> None:
        if not paths:
            return
        # Parents (and flat names) first, then children under them.
        tops = {}
        for path in paths:
            parent, name = split_topic(path)
            top = parent or name
            if (self._topic(None, top) if parent else self._flat_topic(top)) is None:
                tops.setdefault(top.lower(), top)
        self._create_topics([(None, None, name) for name in tops.values()])
        children = {}
        for path in paths:
            parent, name = split_topic(path)
            if parent is None:
                continue
            parent_id = self._topic(None, parent)
            if self._topic(parent_id, name) is None:
                children.setdefault((parent_id, name.lower()), (parent_id, parent, name))
        self._create_topics(list(children.values()))

    def _topic_slug(self, parent_name: str | None, name: str) -> str:
        taken = self.topic_slugs | self._pending_topic_slugs
        candidates = [slugify(name)[:140]]
        if parent_name:
            candidates.append(slugify(f"{parent_name} {name}")[:140])
        for slug in candidates:
            if slug and slug not in taken:
                return slug
        digest = hashlib.sha1(f"{parent_name}>{name}".encode(), usedforsecurity=False).hexdigest()[:8]
        return f"{candidates[-1][:130]}-{digest}"

    def _create_topics(self, specs: list[tuple[int | None, str | None, str]]) -> None:
        if not specs:
            return
        rows = []
        for parent_id, parent_name, name in specs:
            slug = self._topic_slug(parent_name, name)
            self._pending_topic_slugs.add(slug)
            rows.append(Topic(name=name, slug=slug, parent_id=parent_id))
        created = Topic.objects.bulk_create(rows)
        missing_pk = [topic for topic in created if topic.pk is None]
        if missing_pk:  # backends that cannot return ids from a bulk insert
            by_slug = dict(Topic.objects.filter(slug__in=[t.slug for t in missing_pk]).values_list("slug", "pk"))
            for topic in missing_pk:
                topic.pk = by_slug[topic.slug]
        for topic in created:
            self._pending_topics[(topic.parent_id, topic.name.lower())] = topic.pk

    def _ensure_instructors(self, names: set[str]) -> None:
        unknown = [n for n in names if n not in self.instructors and n not in self._pending_instructors]
        if not unknown:
            return
        found = dict(Instructor.objects.filter(full_name__in=unknown).values_list("full_name", "pk"))
        self.instructors.update(found)  # rows that existed before the batch survive a rollback
        missing = [n for n in unknown if n not in found]
        if not missing:
            return
        rows = []
        for name in missing:
            first, _, last = name.rpartition(" ")
            rows.append(Instructor(full_name=name, first_name=first[:128], last_name=last[:128]))
        Instructor.objects.bulk_create(rows, ignore_conflicts=True)
        self._pending_instructors.update(
            Instructor.objects.filter(full_name__in=missing).values_list("full_name", "pk")
        )

    # --- lookups by a record's values -------------------------------------------------------------------------

    def topic_ids(self, paths: list[str]) -> list[int]:
        ids = []
        for path in paths:
            parent, name = split_topic(path)
            pk = self._topic(self._topic(None, parent), name) if parent else self._flat_topic(name)
            if pk is not None and pk not in ids:
                ids.append(pk)
        return ids

    def department_ids(self, refs) -> list[int]:
        return list(dict.fromkeys(pk for pk in (self.departments.get(ref) for ref in refs) if pk is not None))

    def instructor_ids(self, names: list[str]) -> list[int]:
        ids = [self.instructors.get(n) or self._pending_instructors.get(n) for n in names]
        return list(dict.fromkeys(pk for pk in ids if pk is not None))

    # --- batch outcome ----------------------------------------------------------------------------------------

    def commit(self) -> None:
        for table in (self.offerors, self.platforms, self.departments):
            table.commit()
        self.topics.update(self._pending_topics)
        for (parent_id, name), pk in self._pending_topics.items():
            if parent_id is None:
                self.topics_by_name[name] = pk
            self.topics_by_name.setdefault(name, pk)
        self.topic_slugs |= self._pending_topic_slugs
        self.instructors.update(self._pending_instructors)
        self.rollback()

    def rollback(self) -> None:
        for table in (self.offerors, self.platforms, self.departments):
            table.rollback()
        self._pending_topics = {}
        self._pending_topic_slugs = set()
        self._pending_instructors = {}
