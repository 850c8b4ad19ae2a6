"""What a loader returned, written onto its ImportRun: counts, errors, the diff of a dry run or review, and the
unpublish guard's verdict.

Loaders return `catalog.loader.LoadResult`, the news loader's result or a plain dict of the same names; every
name is optional. Examples are capped (MAX_DIFF_EXAMPLES); counts never are: `would_<kind>_count` comes from
the loader's own total when it gives one.
"""

from __future__ import annotations

from typing import Any

from .models import ImportRun

MAX_DIFF_EXAMPLES = 50
COUNTS = ("created", "updated", "unchanged", "unpublished", "failed")
DIFF_KINDS = ("would_create", "would_update", "would_unpublish")


def value(result: Any, name: str, default: Any = None) -> Any:
    if isinstance(result, dict):
        if name in result:
            return result[name]
        return (result.get("counts") or {}).get(name, default)
    if hasattr(result, name):
        return getattr(result, name)
    counts = getattr(result, "counts", None)
    if isinstance(counts, dict):
        return counts.get(name, default)
    return default


def plain(data: Any) -> Any:
    """JSON-ready copy of `data` (models, pydantic records, sets and tuples included)."""
    if hasattr(data, "as_dict"):
        return plain(data.as_dict())
    if hasattr(data, "model_dump"):
        return plain(data.model_dump(mode="json"))
    if isinstance(data, dict):
        return {str(k): plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple | set):
        return [plain(v) for v in data]
    if data is None or isinstance(data, str | int | float | bool):
        return data
    return str(data)


def record_result(run: ImportRun, result: Any) -> None:
    """Copy counts, errors and the diff from a loader's result onto `run` (not saved)."""
    for name in COUNTS:
        setattr(run, name, int(value(result, name, 0) or 0))
    errors = []
    for error in value(result, "errors", []) or []:
        item = plain(error)
        errors.append(item if isinstance(item, dict) else {"message": str(item)})
    run.set_errors(errors)
    diff: dict[str, Any] = {}
    for name in DIFF_KINDS:
        examples = list(value(result, name, None) or [])
        total = value(result, f"{name}_count", None)
        if total is None:
            total = len(examples)
        if examples:
            diff[name] = plain(examples[:MAX_DIFF_EXAMPLES])
        if total or examples:
            diff[f"{name}_count"] = int(total)
    verdict = value(result, "guard_verdict", None)
    if verdict:
        diff["guard"] = plain(verdict)
    if value(result, "needs_review", False):
        diff["review_reason"] = str(value(result, "review_reason", ""))
    run.diff = diff
