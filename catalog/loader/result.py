"""What a load reports: counts, errors, changed ids, the guard's verdict and, for dry runs, examples."""

from dataclasses import dataclass, field

from catalog.schemas import RecordError

MAX_ERRORS = 1000  # errors kept on the result; `failed` still counts them all
MAX_EXAMPLES = 20  # examples kept in would_create / would_update / would_unpublish


@dataclass
class LoadResult:
    source: str
    dry_run: bool = False
    full_snapshot: bool = True
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    unpublished: int = 0
    failed: int = 0
    errors: list[RecordError] = field(default_factory=list)
    errors_truncated: int = 0
    warnings: list[str] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    removed_ids: list[int] = field(default_factory=list)
    needs_review: bool = False
    review_reason: str = ""
    would_create: list[dict] = field(default_factory=list)
    would_update: list[dict] = field(default_factory=list)
    would_unpublish: list[dict] = field(default_factory=list)
    # True totals (the lists above are capped at MAX_EXAMPLES). For a real run they equal what was done, except
    # would_unpublish_count, which also counts rows a tripped guard kept.
    would_create_count: int = 0
    would_update_count: int = 0
    would_unpublish_count: int = 0
    # The unpublish guard's reasoning for a full snapshot with rows missing (see `guard_verdict_for`), else None.
    guard_verdict: dict | None = None
    duration_seconds: float = 0.0

    @property
    def seen(self) -> int:
        """Records read from the snapshot (valid or not)."""
        return self.created + self.updated + self.unchanged + self.failed

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "unpublished": self.unpublished,
            "failed": self.failed,
        }

    def add_errors(self, errors: list[RecordError], *, records: int = 1) -> None:
        """Count `records` failed records and keep their errors (up to MAX_ERRORS)."""
        self.failed += records
        room = MAX_ERRORS - len(self.errors)
        self.errors.extend(errors[: max(room, 0)])
        self.errors_truncated += max(len(errors) - max(room, 0), 0)

    def example(self, kind: str, item: dict) -> None:
        examples = getattr(self, f"would_{kind}")
        if len(examples) < MAX_EXAMPLES:
            examples.append(item)

    def as_dict(self) -> dict:
        """A JSON-serialisable summary (for ImportRun and management commands)."""
        return {
            "source": self.source,
            "dry_run": self.dry_run,
            "full_snapshot": self.full_snapshot,
            **self.counts,
            "errors": [error.as_dict() for error in self.errors],
            "errors_truncated": self.errors_truncated,
            "warnings": list(self.warnings),
            "changed_ids": list(self.changed_ids),
            "removed_ids": list(self.removed_ids),
            "needs_review": self.needs_review,
            "review_reason": self.review_reason,
            "would_create": list(self.would_create),
            "would_update": list(self.would_update),
            "would_unpublish": list(self.would_unpublish),
            "would_create_count": self.would_create_count,
            "would_update_count": self.would_update_count,
            "would_unpublish_count": self.would_unpublish_count,
            "guard_verdict": dict(self.guard_verdict) if self.guard_verdict is not None else None,
            "duration_seconds": round(self.duration_seconds, 3),
        }

    def judge_unpublish(self, missing: int, published_before: int, limit: float, forced: bool) -> bool:
        """Record the unpublish guard's verdict on `missing` of `published_before` published rows leaving; True
        when it stops the unpublishing (more than the `limit` share would go and the load is not `forced`)."""
        share = missing / published_before if published_before else 1.0
        self.would_unpublish_count = missing
        self.guard_verdict = {
            "missing": missing,
            "published_before": published_before,
            "share": round(share, 4),
            "limit": limit,
            "tripped": share > limit,
            "forced": bool(forced),
        }
        return share > limit and not forced

    def summary(self) -> str:
        text = ", ".join(f"{count} {name}" for name, count in self.counts.items())
        if self.needs_review:
            text += f" — needs review: {self.review_reason}"
        return f"{self.source}{' (dry run)' if self.dry_run else ''}: {text}"
