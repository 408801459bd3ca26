"""Catalog freshness: which programs have gone too long without being verified.

A referral is only as good as its phone number and hours; `verification.verified_on` says when staff last checked
them, and `python -m knowledge stale --days N` lists the records due for another check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.schema import Program


@dataclass(frozen=True)
class StaleProgram:
    program: Program
    days: int  # days since the program was last verified

    @property
    def verified_on(self) -> dt.date:
        return self.program.verification.verified_on


def stale_programs(programs: Iterable[Program], days: int, today: dt.date) -> list[StaleProgram]:
    """Programs last verified more than `days` days before `today`, oldest first (then by id, for a stable list).

    `today` is a parameter, not the clock, so a listing can be reproduced and tested."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    aged = [StaleProgram(p, (today - p.verification.verified_on).days) for p in programs]
    return sorted((s for s in aged if s.days > days), key=lambda s: (s.verified_on, s.program.id))
