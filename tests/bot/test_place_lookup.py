"""The bot's place lookup table is generated from the geography data; it must not drift from it."""

import subprocess
import sys

from tests.conftest import ROOT


def test_places_lookup_is_up_to_date():
    check = subprocess.run([sys.executable, "scripts/place_lookup.py", "--check"], cwd=ROOT)
    assert check.returncode == 0, "bot/data/nlu/places.yml is stale: run .venv/bin/python scripts/place_lookup.py"
