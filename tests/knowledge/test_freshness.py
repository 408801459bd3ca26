"""Freshness: which programs are due for re-verification, oldest first, counted from a fixed day."""

import datetime as dt
import subprocess
import sys

import pytest

from knowledge.catalog import load_programs
from knowledge.freshness import stale_programs
from knowledge.schema import Program, Verification
from tests.conftest import ROOT

TODAY = dt.date(2027, 3, 1)


@pytest.fixture(scope="module")
def programs() -> list[Program]:
    return load_programs()


def verified(program: Program, day: dt.date) -> Program:
    return program.model_copy(
        update={"verification": Verification(verified_on=day, method="phone call to the program")}
    )


def test_lists_only_programs_older_than_the_limit_oldest_first(programs):
    a, b, c, d, e = programs[:5]
    catalog = [
        verified(a, TODAY - dt.timedelta(days=30)),  # exactly the limit: not stale yet
        verified(b, TODAY - dt.timedelta(days=200)),
        verified(c, TODAY - dt.timedelta(days=31)),
        verified(d, TODAY + dt.timedelta(days=3)),  # a date in the future is not stale
        verified(e, TODAY - dt.timedelta(days=400)),
    ]

    stale = stale_programs(catalog, 30, TODAY)

    assert [(s.program.id, s.days) for s in stale] == [(e.id, 400), (b.id, 200), (c.id, 31)]
    assert [s.verified_on for s in stale] == sorted(s.verified_on for s in stale)
    assert stale_programs(catalog, 400, TODAY) == []
    assert [s.program.id for s in stale_programs(catalog, 0, TODAY)] == [e.id, b.id, c.id, a.id]


def test_programs_verified_the_same_day_are_listed_by_id(programs):
    day = TODAY - dt.timedelta(days=90)
    catalog = [verified(p, day) for p in reversed(programs[:4])]

    assert [s.program.id for s in stale_programs(catalog, 60, TODAY)] == sorted(p.id for p in programs[:4])


def test_the_shipped_catalog_against_a_fixed_day(programs):
    newest = max(p.verification.verified_on for p in programs)
    oldest = min(p.verification.verified_on for p in programs)
    today = newest + dt.timedelta(days=10)

    assert len(stale_programs(programs, 9, today)) == len(programs)
    assert stale_programs(programs, (today - oldest).days, today) == []


def test_negative_days_are_refused(programs):
    with pytest.raises(ValueError, match="0 or more"):
        stale_programs(programs, -1, TODAY)


def test_cli_lists_id_name_date_and_days_oldest_first(programs):
    today = max(p.verification.verified_on for p in programs) + dt.timedelta(days=45)
    result = subprocess.run(
        [sys.executable, "-m", "knowledge", "stale", "--days", "30", "--today", today.isoformat()],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )

    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    expected = stale_programs(programs, 30, today)
    assert len(lines) == len(expected) > 0
    assert lines == [[s.program.id, s.program.name.en, s.verified_on.isoformat(), str(s.days)] for s in expected]
    assert f"{len(expected)} of {len(programs)} programs" in result.stderr

    none = subprocess.run(
        [sys.executable, "-m", "knowledge", "stale", "--days", "3650", "--today", today.isoformat()],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert none.returncode == 0 and none.stdout == ""
