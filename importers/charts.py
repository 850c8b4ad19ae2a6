"""Server-rendered numbers and SVG geometry for the Imports admin: runs and changes per day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from .models import ImportRun

WIDTH, HEIGHT, PAD = 720, 180, 28
STATUS_GROUPS = {
    ImportRun.Status.SUCCEEDED: "ok",
    ImportRun.Status.SKIPPED: "skipped",
    ImportRun.Status.NEEDS_REVIEW: "review",
    ImportRun.Status.REJECTED: "review",
    ImportRun.Status.FAILED: "failed",
    ImportRun.Status.RUNNING: "ok",
}


@dataclass
class Bar:
    x: float
    width: float
    day: date
    segments: list[dict]  # {group, count, y, height}
    runs: int
    changes: int


def runs_per_day(days: int = 30, source: str | None = None) -> dict:
    """{"bars": [...], "line": "x,y x,y ...", "max_runs", "max_changes", "totals"} for the last `days` days;
    one aggregate query."""
    today = timezone.localdate()
    start = today - timedelta(days=days - 1)
    runs = ImportRun.objects.filter(started_at__date__gte=start, dry_run=False)
    if source:
        runs = runs.filter(source=source)
    rows = (
        runs.annotate(day=TruncDate("started_at"))
        .values("day", "status")
        .annotate(n=Count("id"), changes=Sum(F("created") + F("updated") + F("unpublished")))
    )
    per_day: dict[date, dict] = {start + timedelta(days=i): {"groups": {}, "changes": 0} for i in range(days)}
    for row in rows:
        bucket = per_day.get(row["day"])
        if bucket is None:
            continue
        group = STATUS_GROUPS.get(row["status"], "ok")
        bucket["groups"][group] = bucket["groups"].get(group, 0) + row["n"]
        bucket["changes"] += row["changes"] or 0
    max_runs = max((sum(b["groups"].values()) for b in per_day.values()), default=0) or 1
    max_changes = max((b["changes"] for b in per_day.values()), default=0) or 1
    plot_w, plot_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = plot_w / days
    bars, points = [], []
    totals = {"runs": 0, "changes": 0, "failed": 0}
    for index, (day, bucket) in enumerate(sorted(per_day.items())):
        x = PAD + index * slot
        y = HEIGHT - PAD
        segments = []
        for group in ("ok", "skipped", "review", "failed"):
            count = bucket["groups"].get(group, 0)
            if not count:
                continue
            height = plot_h * count / max_runs
            y -= height
            segments.append({"group": group, "count": count, "y": round(y, 1), "height": round(height, 1)})
        total = sum(bucket["groups"].values())
        totals["runs"] += total
        totals["changes"] += bucket["changes"]
        totals["failed"] += bucket["groups"].get("failed", 0)
        bars.append(
            Bar(
                x=round(x + slot * 0.15, 1),
                width=round(slot * 0.7, 1),
                day=day,
                segments=segments,
                runs=total,
                changes=bucket["changes"],
            )
        )
        cy = HEIGHT - PAD - plot_h * bucket["changes"] / max_changes
        points.append(f"{x + slot / 2:.1f},{cy:.1f}")
    return {
        "bars": bars,
        "line": " ".join(points),
        "max_runs": max_runs,
        "max_changes": max_changes,
        "totals": totals,
        "width": WIDTH,
        "height": HEIGHT,
        "pad": PAD,
        "baseline": HEIGHT - PAD,
        "right": WIDTH - PAD,
        "start": start,
        "end": today,
        "days": days,
    }
