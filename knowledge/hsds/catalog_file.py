"""The catalog side of an import: the catalog-wide rules imported programs must pass, and the catalog file."""

from __future__ import annotations

from collections.abc import Iterable

import yaml

from knowledge.catalog import load_taxonomy
from knowledge.schema import Program


def catalog_problems(programs: list[Program]) -> list[str]:
    """The cross-record rules `python -m knowledge validate` applies (known categories, SMS length, ...)."""
    from knowledge.validate import check_program

    taxonomy = load_taxonomy()
    return [f"{p.id}: {fld}: {message}" for p in programs for fld, message in check_program(p, taxonomy)]


def catalog_yaml(programs: Iterable[Program]) -> str:
    """Programs as a catalog file (a YAML list) that `python -m knowledge validate` reads."""
    records = [p.model_dump(mode="json", exclude_none=True) for p in programs]
    return yaml.safe_dump(records, allow_unicode=True, sort_keys=False, width=120)
