"""Temporary folders of imports, named so that the sweeper can remove those a dead process left behind."""

from __future__ import annotations

import os
import re
import socket
import tempfile
from pathlib import Path

from django.conf import settings


def host_label() -> str:
    return re.sub(r"[^A-Za-z0-9]", "_", socket.gethostname())[:40] or "host"


def work_dir(prefix: str) -> tempfile.TemporaryDirectory:
    """A TemporaryDirectory under IMPORT_TEMP_DIR named "<prefix>-<host>-<pid>-<random>": removed when the
    block ends, and by the sweeper (importers.recovery) if the process is killed before that."""
    root = Path(settings.IMPORT_TEMP_DIR)
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=f"{prefix}-{host_label()}-{os.getpid()}-", dir=root)
