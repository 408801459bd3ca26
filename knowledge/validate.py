"""Checks every catalog record and reports each problem with its file, record and field."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from knowledge.catalog import PROGRAMS_DIR, CatalogError, Taxonomy, catalog_files, load_taxonomy, read_raw
from knowledge.geo import community_areas, haversine_km
from knowledge.schema import Program
from knowledge.sms import SEGMENT_CHARS, gsm7_length, sms_line

# A geocoded point this far from its community area's centroid is almost surely a typo.
MAX_KM_FROM_AREA_CENTROID = 6.0


@dataclass(frozen=True)
class Problem:
    file: str
    record: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.record}: {self.field}: {self.message}"


@dataclass
class Report:
    programs: list[Program] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _loc(parts: tuple[int | str, ...]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


def check_program(program: Program, taxonomy: Taxonomy) -> list[tuple[str, str]]:
    """Rules that need the taxonomy or geography; returns (field, message) pairs."""
    issues: list[tuple[str, str]] = []
    for i, slug in enumerate(program.categories):
        if slug not in taxonomy.categories:
            issues.append((f"categories[{i}]", f"unknown category {slug!r} (not in taxonomy.yml)"))
    if len(set(program.categories)) != len(program.categories):
        issues.append(("categories", "a category is listed twice"))
    for i, audience in enumerate(program.audiences):
        if audience not in taxonomy.audiences:
            issues.append((f"audiences[{i}]", f"unknown audience {audience!r} (not in taxonomy.yml)"))
    for i, loc in enumerate(program.locations):
        if loc.has_point and loc.community_area is not None:
            area = community_areas()[loc.community_area]
            km = haversine_km(loc.lat, loc.lon, area.lat, area.lon)  # type: ignore[arg-type]
            if km > MAX_KM_FROM_AREA_CENTROID:
                issues.append(
                    (
                        f"locations[{i}]",
                        f"bad coordinates: {km:.1f} km from the centre of {area.name} (area {area.number})",
                    )
                )
        if loc.has_point and loc.community_area is None and (loc.address is None or loc.address.city == "Chicago"):
            issues.append((f"locations[{i}].community_area", "a Chicago location needs its community area"))
    for lang in ("en", "es"):
        line = sms_line(program, lang)
        if gsm7_length(line) > SEGMENT_CHARS:
            issues.append(
                (
                    f"summary.{lang}",
                    f"short_name + summary + phone is {gsm7_length(line)} characters, "
                    f"over one SMS segment ({SEGMENT_CHARS})",
                )
            )
    if program.eligibility.age_min is not None and "youth" in program.audiences and program.eligibility.age_min > 25:
        issues.append(("eligibility.age_min", "youth audience but minimum age above 25"))
    return issues


def validate_catalog(*paths: Path) -> Report:
    """Validate the catalog folder (default) or the given folders and files, all as one catalog."""
    report = Report()
    taxonomy = load_taxonomy()
    seen: dict[str, str] = {}
    files = [f for p in (paths or (PROGRAMS_DIR,)) for f in (catalog_files(p) if p.is_dir() else [p])]
    if not files:
        report.problems.append(Problem(", ".join(map(str, paths)), "-", "-", "no catalog files (*.yml) found"))
    for path in files:
        name = path.name
        try:
            raw_records = read_raw(path)
        except (CatalogError, OSError, yaml.YAMLError) as exc:
            report.problems.append(Problem(name, "-", "-", str(exc)))
            continue
        for index, raw in enumerate(raw_records):
            record = raw.get("id") if isinstance(raw, dict) else None
            label = str(record) if record else f"record #{index + 1}"
            if not isinstance(raw, dict):
                report.problems.append(Problem(name, label, "-", "a record must be a mapping"))
                continue
            if record in seen:
                report.problems.append(Problem(name, label, "id", f"duplicate id (also in {seen[record]})"))
                continue
            if record:
                seen[record] = name
            try:
                program = Program.model_validate(raw)
            except ValidationError as exc:
                for err in exc.errors():
                    report.problems.append(Problem(name, label, _loc(err["loc"]), _message(err)))
                continue
            for fld, message in check_program(program, taxonomy):
                report.problems.append(Problem(name, label, fld, message))
            report.programs.append(program)
    return report


def _message(err: Any) -> str:
    if err["type"] == "missing":
        loc = err["loc"]
        if loc and loc[-1] == "es":
            return "missing Spanish text"
        return "required field missing"
    return str(err["msg"]).removeprefix("Value error, ")
