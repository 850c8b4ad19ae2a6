"""Writing the rows of one batch: resources (created and updated in bulk), their M2Ms, instructors and runs."""

import hashlib

from django.utils.text import slugify

from catalog.models import LearningResource, ResourceInstructor, Run
from catalog.sanitize import clean_html
from catalog.schemas import ResourceRecord

from .fields import SUPPLIED_KEY

# Model fields written from a record (FKs by field name). Lockable ones are skipped when an editor locked them.
RESOURCE_FIELDS = (
    "title",
    "description",
    "full_description",
    "url",
    "image_url",
    "image_alt",
    "media_url",
    "transcript_url",
    "languages",
    "course_numbers",
    "keywords",
    "offered_by",
    "platform",
    "certification",
    "certification_type",
    "free",
    "min_price",
    "max_price",
    "currency",
    "delivery",
    "format",
    "pace",
    "duration",
    "duration_seconds",
    "time_commitment",
    "min_weekly_hours",
    "max_weekly_hours",
    "level",
    "license",
    "availability",
    "published_at",
    "next_start_date",
    "extra",
)
BOOKKEEPING_FIELDS = (
    "content_hash",
    "source_values",
    "source_published",
    "published",
    "last_seen",
    "in_source_snapshot",
    "updated_at",
)
M2M_FIELDS = ("topics", "departments", "instructors")
RUN_FIELDS = (
    "title",
    "start_date",
    "end_date",
    "enrollment_start",
    "enrollment_end",
    "semester",
    "year",
    "pace",
    "delivery",
    "location",
    "prices",
    "instructors",
    "enrollment_url",
    "published",
)
EXISTING_FIELDS = (
    "id",
    "resource_type",
    "source_id",
    "title",
    "content_hash",
    "locked_fields",
    "hidden",
    "published",
    "source_published",
    "in_source_snapshot",
    "source_values",
)


def next_start_date(record: ResourceRecord, now):
    """The earliest future start of a published run, else the latest start, else None."""
    starts = [run.start_date for run in record.runs if run.published and run.start_date]
    future = [start for start in starts if start >= now]
    if future:
        return min(future)
    return max(starts) if starts else None


def price_fields(record: ResourceRecord) -> dict:
    """min/max price and currency over the resource's and its published runs' prices; `free` when not given."""
    prices = list(record.prices) + [p for run in record.runs if run.published for p in run.prices]
    if not prices:
        return {
            "min_price": None,
            "max_price": None,
            "currency": "",
            "free": True if record.free is None else record.free,
        }
    cheapest = min(prices, key=lambda p: p.amount)
    free = record.free if record.free is not None else any(p.amount == 0 for p in prices)
    return {
        "min_price": cheapest.amount,
        "max_price": max(p.amount for p in prices),
        "currency": cheapest.currency,
        "free": free,
    }


class RowWriter:
    """Mixin of ResourceLoader: turns validated records into rows with bulk statements."""

    def _values(self, record: ResourceRecord, now) -> tuple[dict, dict]:
        """(model field values, source_values) for a record."""
        lookups = self.lookups
        prices = price_fields(record)
        values = {
            "title": record.title,
            "description": clean_html(record.description, record.url or None),
            "full_description": clean_html(record.full_description, record.url or None),
            "url": record.url,
            "image_url": record.image_url,
            "image_alt": record.image_alt,
            "media_url": record.media_url,
            "transcript_url": record.transcript_url,
            "languages": record.languages,
            "course_numbers": record.course_numbers,
            "keywords": record.keywords,
            "offered_by_id": lookups.offerors.get(record.offered_by),
            "platform_id": lookups.platforms.get(record.platform),
            "certification": record.certification or record.certification_type != "none",
            "certification_type": record.certification_type,
            "delivery": record.delivery,
            "format": record.format,
            "pace": record.pace,
            "duration": record.duration,
            "duration_seconds": record.duration_seconds,
            "time_commitment": record.time_commitment,
            "min_weekly_hours": record.min_weekly_hours,
            "max_weekly_hours": record.max_weekly_hours,
            "level": record.level,
            "license": record.license,
            "availability": record.availability,
            "published_at": record.published_at,
            "next_start_date": next_start_date(record, now),
            "extra": record.extra,
            **prices,
        }
        source_values = {
            name: values[name]
            for name in LearningResource.LOCKABLE_FIELDS
            if name in values and name not in ("offered_by", "platform")
        }
        source_values.update(
            {
                "offered_by": record.offered_by.code if record.offered_by else None,
                "platform": record.platform.code if record.platform else None,
                "topics": record.topics,
                "departments": [department.code for department in record.departments],
                "instructors": record.instructors,
            }
        )
        return values, source_values

    def _create_rows(self, to_create, now) -> list[tuple[LearningResource, ResourceRecord]]:
        if not to_create:
            return []
        slugs = self._new_slugs([record for record, _ in to_create])
        rows = []
        for (record, digest), slug in zip(to_create, slugs, strict=True):
            values, source_values = self._values(record, now)
            rows.append(
                LearningResource(
                    source=self.source,
                    source_id=record.source_id,
                    resource_type=record.resource_type,
                    slug=slug,
                    content_hash=digest,
                    source_values=source_values,
                    source_published=record.published,
                    published=record.published,
                    in_source_snapshot=self.full_snapshot,
                    **values,
                )
            )
        LearningResource.objects.bulk_create(rows)
        if any(row.pk is None for row in rows):  # backends that cannot return ids from a bulk insert
            ids = dict(LearningResource.objects.filter(source=self.source, slug__in=slugs).values_list("slug", "pk"))
            for row in rows:
                row.pk = ids[row.slug]
        return [(row, record) for row, (record, _) in zip(rows, to_create, strict=True)]

    def _new_slugs(self, records: list[ResourceRecord]) -> list[str]:
        """Unique slugs: the title's, else the title's with a suffix derived from the source id (stable)."""
        candidates = []
        for record in records:
            base = slugify(record.title)[:200] or slugify(f"{record.resource_type} {record.source_id}")[:200]
            key = f"{self.source}:{record.resource_type}:{record.source_id}"
            suffix = hashlib.sha1(key.encode(), usedforsecurity=False).hexdigest()[:6]
            candidates.append((base or record.resource_type, f"{(base or record.resource_type)[:200]}-{suffix}"))
        wanted = {slug for pair in candidates for slug in pair}
        taken = set(LearningResource.objects.filter(slug__in=wanted).values_list("slug", flat=True))
        slugs = []
        for base, alternative in candidates:
            slug = base if base not in taken else alternative
            counter = 2
            while slug in taken:  # only when two sources' ids hash alike: practically never
                slug = f"{alternative}-{counter}"
                counter += 1
                if slug not in taken and LearningResource.objects.filter(slug=slug).exists():
                    taken.add(slug)
            taken.add(slug)
            slugs.append(slug)
        return slugs

    def _update_rows(self, to_update, now) -> list[tuple[LearningResource, ResourceRecord]]:
        groups: dict[tuple[str, ...], list[LearningResource]] = {}
        updated = []
        for row, record, digest in to_update:
            values, source_values = self._values(record, now)
            # A field another source supplied (catalog.loader.fields: marketing pages' full_description) keeps its
            # value; the owner's own value is still recorded in source_values.
            supplied = dict((row.source_values or {}).get(SUPPLIED_KEY) or {})
            kept = {name for name in supplied if name in values}
            for name in kept:
                source_values[name] = (row.source_values or {}).get(name, values[name])
            if supplied:
                source_values[SUPPLIED_KEY] = supplied
            locked = set(row.locked_fields or []) | kept
            for name, value in values.items():
                field_name = name.removesuffix("_id")
                if field_name not in locked:
                    setattr(row, name, value)
            row.content_hash = digest
            row.source_values = source_values
            # The source's value is kept whatever an editor did, so that un-hiding needs no import.
            row.source_published = record.published
            row.published = record.published and not row.hidden
            row.last_seen = now
            row.in_source_snapshot = row.in_source_snapshot or self.full_snapshot
            row.updated_at = now
            fields = tuple(name for name in RESOURCE_FIELDS if name not in locked) + BOOKKEEPING_FIELDS
            groups.setdefault(fields, []).append(row)
            updated.append((row, record))
        for fields, rows in groups.items():
            LearningResource.objects.bulk_update(rows, fields, batch_size=250)
        return updated

    def _write_m2m(self, written) -> None:
        """Replace topics, departments and instructors of written rows (unless locked) with two statements each."""
        topic_through = LearningResource.topics.through
        department_through = LearningResource.departments.through
        clear: dict[str, list[int]] = {"topics": [], "departments": [], "instructors": []}
        topics, departments, instructors = [], [], []
        for row, record, existed in written:
            locked = set(row.locked_fields or []) if existed else set()
            if "topics" not in locked:
                if existed:
                    clear["topics"].append(row.pk)
                topics += [
                    topic_through(learningresource_id=row.pk, topic_id=pk)
                    for pk in self.lookups.topic_ids(record.topics)
                ]
            if "departments" not in locked:
                if existed:
                    clear["departments"].append(row.pk)
                departments += [
                    department_through(learningresource_id=row.pk, department_id=pk)
                    for pk in self.lookups.department_ids(record.departments)
                ]
            if "instructors" not in locked:
                if existed:
                    clear["instructors"].append(row.pk)
                instructors += [
                    ResourceInstructor(resource_id=row.pk, instructor_id=pk, position=position)
                    for position, pk in enumerate(self.lookups.instructor_ids(record.instructors))
                ]
        if clear["topics"]:
            topic_through.objects.filter(learningresource_id__in=clear["topics"]).delete()
        if clear["departments"]:
            department_through.objects.filter(learningresource_id__in=clear["departments"]).delete()
        if clear["instructors"]:
            ResourceInstructor.objects.filter(resource_id__in=clear["instructors"]).delete()
        topic_through.objects.bulk_create(topics)
        department_through.objects.bulk_create(departments)
        ResourceInstructor.objects.bulk_create(instructors)

    def _write_runs(self, written) -> None:
        """Upsert runs by run_id; runs the source no longer lists are unpublished (their content files stay)."""
        existing: dict[int, dict[str, Run]] = {}
        updated_ids = [row.pk for row, _, existed in written if existed]
        if updated_ids:
            for run in Run.objects.filter(resource_id__in=updated_ids):
                existing.setdefault(run.resource_id, {})[run.run_id] = run
        to_create, to_update = [], []
        for row, record, _ in written:
            runs = existing.get(row.pk, {})
            for run_record in record.runs:
                values = run_record.model_dump(mode="python", exclude={"run_id"})
                values["prices"] = [
                    {"amount": str(price.amount), "currency": price.currency, "label": price.label}
                    for price in run_record.prices
                ]
                run = runs.pop(run_record.run_id, None)
                if run is None:
                    to_create.append(Run(resource_id=row.pk, run_id=run_record.run_id, **values))
                    continue
                if any(getattr(run, name) != value for name, value in values.items()):
                    for name, value in values.items():
                        setattr(run, name, value)
                    to_update.append(run)
            for run in runs.values():  # left over: no longer listed by the source
                if run.published:
                    run.published = False
                    to_update.append(run)
        Run.objects.bulk_create(to_create)
        if to_update:
            Run.objects.bulk_update(to_update, RUN_FIELDS, batch_size=250)
