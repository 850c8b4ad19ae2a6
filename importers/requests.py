"""What an import is asked to do: one value object instead of a long keyword list.

`ImportRequest` is built by the CLI, the admin, webhooks, schedules and reviews, handed to
`importers.runner.run_import`, and stored on the run (`ImportRun.request`) so that a run that waited for its
source, or whose worker died, can be resumed or retried exactly as it was asked. Uploaded bytes are never stored
there: the runner stores them as the run's snapshot first and the request then names that snapshot.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import ImporterError

# Who may wait for a busy source (the run is queued behind the running one) rather than be refused at once:
# everything but an operator at a terminal, who is told who holds the source and how to free it.
WAITING_TRIGGERS = frozenset({"schedule", "webhook", "manual"})
# Who is retried when the process running it dies (kill -9, SIGTERM of a deploy): the same triggers.
RETRIED_TRIGGERS = WAITING_TRIGGERS


@dataclass(frozen=True)
class ImportRequest:
    """One import of one source.

    The snapshot comes from, in order: a stored snapshot (`snapshot_id`; with `replay` it is loaded even when
    unchanged), a local `file` or directory, a `url`, raw `content`, or the source's own `extract()`.
    `replay_of` names the needs-review run an approval re-runs; `request_key` is shared by every attempt of the
    same request (a task delivered twice is recognised); `attempt` counts from 1.
    """

    source: str
    trigger: str = "manual"
    dry_run: bool = False
    force: bool = False
    snapshot_id: int | None = None
    replay: bool = False
    file: str | None = None
    url: str | None = None
    content: bytes | None = field(default=None, repr=False)
    document_name: str = ""
    content_type: str = ""
    user_id: int | None = None
    replay_of: int | None = None
    task_id: str = ""
    request_key: str = ""
    attempt: int = 1
    wait_if_busy: bool | None = None  # None: by trigger (WAITING_TRIGGERS)

    @classmethod
    def build(cls, source: str, **options: Any) -> ImportRequest:
        """A request from keyword options (as tasks and older callers pass them); unknown options are refused."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise ImporterError(f"unknown import option(s): {', '.join(unknown)}")
        return cls(source=source, **options)

    @property
    def given_snapshot(self) -> bool:
        """The snapshot comes with the request (stored, file, URL or bytes): the source is not fetched."""
        return self.snapshot_id is not None or bool(self.file) or bool(self.url) or self.content is not None

    @property
    def waits_when_busy(self) -> bool:
        if self.wait_if_busy is not None:
            return self.wait_if_busy
        return self.trigger in WAITING_TRIGGERS

    @property
    def retried_when_dead(self) -> bool:
        return self.trigger in RETRIED_TRIGGERS and not self.dry_run

    def keyed(self) -> ImportRequest:
        """This request with a request key (a new one when it has none)."""
        return self if self.request_key else dataclasses.replace(self, request_key=uuid.uuid4().hex)

    def replace(self, **changes: Any) -> ImportRequest:
        return dataclasses.replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The request as stored on its run: without uploaded bytes (the run's snapshot holds them)."""
        data = dataclasses.asdict(self)
        data.pop("content")
        return {name: value for name, value in data.items() if value not in (None, "", False) or name == "source"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ImportRequest:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in data.items() if name in names})
