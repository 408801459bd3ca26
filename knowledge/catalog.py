"""Loading the catalog files and the taxonomy, and hashing what the index depends on."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
PROGRAMS_DIR = DATA_DIR / "programs"
TAXONOMY_FILE = DATA_DIR / "taxonomy.yml"


# libyaml's safe loader is ~10x faster than the pure-Python one, which matters for a 211-sized directory.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CatalogError(Exception):
    """The catalog cannot be loaded; the message lists every problem found."""


@dataclass(frozen=True)
class Taxonomy:
    categories: dict[str, dict[str, str]]
    audiences: tuple[str, ...]

    def label(self, slug: str, lang: str) -> str:
        return self.categories[slug].get(lang, self.categories[slug]["en"])


@cache
def load_taxonomy(path: Path = TAXONOMY_FILE) -> Taxonomy:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return Taxonomy(categories=raw["categories"], audiences=tuple(raw.get("audiences", [])))


def catalog_files(directory: Path = PROGRAMS_DIR) -> list[Path]:
    return sorted(p for p in directory.glob("*.yml") if p.is_file())


def read_raw(path: Path) -> list[dict[str, Any]]:
    """A catalog file is a YAML list of program mappings."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # a safe loader (C or Python)
    if data is None:
        return []
    if not isinstance(data, list):
        raise CatalogError(f"{path}: expected a list of programs, got {type(data).__name__}")
    return data


def load_programs(directory: Path = PROGRAMS_DIR) -> list[Any]:
    """Every program, validated. Raises CatalogError listing all problems (the validate command's report)."""
    from knowledge.validate import validate_catalog  # validate imports this module

    report = validate_catalog(directory)
    if report.problems:
        listing = "\n".join(str(p) for p in report.problems[:50])
        raise CatalogError(f"the catalog has {len(report.problems)} problem(s); run `make validate`:\n{listing}")
    return report.programs


def catalog_hash(directory: Path = PROGRAMS_DIR, taxonomy: Path = TAXONOMY_FILE, extra: tuple[Path, ...] = ()) -> str:
    """Content hash of everything an index is built from, so a stale index is detected at start-up."""
    digest = hashlib.sha256()
    for path in [*catalog_files(directory), taxonomy, *extra]:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
