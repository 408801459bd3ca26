"""A file a background process touches after each pass; its container's health check reads the file's age.

The check-in scheduler and the 311 filer have no HTTP port to probe: a loop that hangs or a process that died leaves
the file to age, and `python -m api.checkins --healthy` (or api.hazard_filing) fails.
"""

from __future__ import annotations

import time
from pathlib import Path


def beat(path: str) -> None:
    heartbeat = Path(path)
    heartbeat.parent.mkdir(parents=True, exist_ok=True)
    heartbeat.touch()


def fresh(path: str, *, max_age_s: float) -> bool:
    try:
        return time.time() - Path(path).stat().st_mtime <= max_age_s
    except OSError:
        return False
