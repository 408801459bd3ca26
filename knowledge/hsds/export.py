"""Export: catalog programs -> HSDS tables, written as a tabular data package (CSV) plus services.json."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.catalog import load_taxonomy
from knowledge.geo import community_areas
from knowledge.hsds.mapping import (
    ALL_DAYS,
    DAY_CODES,
    EXTENSION_RE,
    FIELDS,
    LANGUAGE_NAMES,
    PHONE_TYPES,
    REFERENCES,
    SCOPE_NAMES,
    TABLES,
    TAXONOMIES,
)
from knowledge.hsds.nesting import nested_services
from knowledge.hsds.spec import HSDS_VERSION, columns, definition, stable_id, table_file
from knowledge.schema import Address, Program

SHARED_TABLES = frozenset({"organization", "taxonomy", "taxonomy_term"})


@dataclass(frozen=True)
class _Term:
    link_type: str
    code: str
    name: str
    description: str

    @property
    def id(self) -> str:
        return stable_id("taxonomy", self.link_type, self.code)


@dataclass
class _Package:
    """Every table's rows in the order they were added: that order is the file order, so exports are stable."""

    public: bool
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    terms: set[_Term] = field(default_factory=set)
    _seen: set[str] = field(default_factory=set)
    _attribute_counts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def add(self, table: str, row: dict[str, Any]) -> str:
        if row["id"] in self._seen:
            # Organizations and taxonomy rows are shared by programs: the first row with an id stands for all.
            if table in SHARED_TABLES:
                return str(row["id"])
            raise ValueError(f"two {table} rows with id {row['id']}: are two programs using the same catalog id?")
        self._seen.add(row["id"])
        self.tables[table].append({k: v for k, v in row.items() if v is not None})
        return str(row["id"])

    def attribute(self, entity: str, link_id: str, term: _Term, value: str | None = None) -> None:
        self.terms.add(term)
        n = self._attribute_counts[(link_id, term.code)]
        self._attribute_counts[(link_id, term.code)] += 1
        row = {
            "id": stable_id("attribute", link_id, term.link_type, term.code, n),
            "link_id": link_id,
            "taxonomy_term_id": term.id,
            "link_type": term.link_type,
            "link_entity": entity,
            "value": value,
        }
        self.add("attribute", row)

    def carry(self, entity: str, link_id: str, code: str, value: object) -> None:
        """Carry one of our fields HSDS has no property for; nothing when the value is unknown."""
        if value is None:
            return
        text = str(value).lower() if isinstance(value, bool) else str(value)
        self.attribute(entity, link_id, _Term("catalog_field", code, code, FIELDS[code]), text)

    def finish(self) -> None:
        # HSDS asks packages to carry only the taxonomy terms they use; sorted so the files do not depend on order.
        for term in sorted(self.terms, key=lambda t: (t.link_type, t.code)):
            name, description = TAXONOMIES[term.link_type]
            taxonomy_id = stable_id("taxonomy", term.link_type)
            self.add("taxonomy", {"id": taxonomy_id, "name": name, "description": description})
            row = {
                "id": term.id,
                "code": term.code,
                "name": term.name,
                "description": term.description,
                "taxonomy": name,
                "language": "en",
                "taxonomy_id": taxonomy_id,
            }
            self.add("taxonomy_term", row)
        self.tables["taxonomy"].sort(key=lambda r: r["name"])


def _category_term(slug: str) -> _Term:
    entry = load_taxonomy().categories.get(slug, {"en": slug})
    return _Term("service_category", slug, entry["en"], entry.get("covers") or entry["en"])


def _audience_term(slug: str) -> _Term:
    label = slug.replace("_", " ")
    return _Term("audience", slug, label, f"Programs meant for {label}.")


def _add_program(pkg: _Package, program: Program) -> None:
    pid = program.id
    org = program.organization
    org_id = pkg.add(
        "organization",
        {
            "id": stable_id("organization", org.name, org.website or ""),
            "name": org.name,
            # HSDS requires a description and the catalog has none for organizations.
            "description": "",
            "website": str(org.website) if org.website else None,
        },
    )
    sid = pkg.add("service", _service_row(program, org_id))
    _add_service_fields(pkg, program, sid)
    _add_phones(pkg, program, sid)
    _add_locations(pkg, program, sid, org_id)
    _add_schedule(pkg, program, sid)
    _add_service_area(pkg, program, sid)
    for i, code in enumerate(program.languages):
        pkg.add(
            "language",
            {"id": stable_id(pid, "language", i), "service_id": sid, "name": LANGUAGE_NAMES.get(code), "code": code},
        )


def _service_row(program: Program, org_id: str) -> dict[str, Any]:
    note = program.eligibility.note
    return {
        "id": stable_id(program.id),
        "organization_id": org_id,
        "name": program.name.en,
        "alternate_name": program.short_name.en,
        "description": program.description.en,
        "url": str(program.website) if program.website else None,
        "status": "active",
        "interpretation_services": program.languages_note,
        "eligibility_description": note.en if note else None,
        "minimum_age": program.eligibility.age_min,
        "maximum_age": program.eligibility.age_max,
        "assured_date": program.verification.verified_on.isoformat(),
    }


def _add_service_fields(pkg: _Package, program: Program, sid: str) -> None:
    put = pkg.carry
    put("service", sid, "program_id", program.id)
    put("service", sid, "name_es", program.name.es)
    put("service", sid, "alternate_name_es", program.short_name.es)
    put("service", sid, "summary_en", program.summary.en)
    put("service", sid, "summary_es", program.summary.es)
    put("service", sid, "description_es", program.description.es)
    note = program.eligibility.note
    put("service", sid, "eligibility_description_es", note.es if note else None)
    put("service", sid, "eligibility_residency", program.eligibility.residency)
    put("service", sid, "verification_method", program.verification.method)
    put("service", sid, "verification_notes", program.verification.notes)
    for source in program.sources:
        put("service", sid, "source", f"{source.url} ({source.date})" if source.date else str(source.url))
    for slug in program.categories:
        pkg.attribute("service", sid, _category_term(slug))
    for slug in program.audiences:
        pkg.attribute("service", sid, _audience_term(slug))


def _split_extension(number: str) -> tuple[str, int | None]:
    # HSDS keeps the extension as a number; one with a leading zero stays in the number so that it round-trips.
    match = EXTENSION_RE.match(number)
    return (match["number"], int(match["ext"])) if match else (number, None)


def _add_phones(pkg: _Package, program: Program, sid: str) -> None:
    for i, phone in enumerate(program.phones):
        number, extension = _split_extension(phone.number)
        row = {
            "id": stable_id(program.id, "phone", i),
            "service_id": sid,
            "number": number,
            "extension": extension,
            "type": PHONE_TYPES[phone.kind],
            "description": phone.label.en if phone.label else None,
        }
        phone_id = pkg.add("phone", row)
        pkg.carry("phone", phone_id, "description_es", phone.label.es if phone.label else None)
        pkg.carry("phone", phone_id, "phone_kind", phone.kind if phone.kind == "voice_text" else None)
        pkg.carry("phone", phone_id, "available_24_7", phone.available_24_7)
    line = program.text_line
    if line is not None:
        row = {
            "id": stable_id(program.id, "text_line"),
            "service_id": sid,
            "number": line.number,
            "type": "text",
            "description": line.note.en if line.note else None,
        }
        line_id = pkg.add("phone", row)
        pkg.carry("phone", line_id, "description_es", line.note.es if line.note else None)
        pkg.carry("phone", line_id, "text_keyword", line.keyword)


def _add_locations(pkg: _Package, program: Program, sid: str, org_id: str) -> None:
    for i, loc in enumerate(program.locations):
        # A public export keeps only the fact that a confidential site exists: its name can name the
        # neighbourhood ("shelter in Uptown") and its community area narrows where it is.
        hidden = pkg.public and loc.confidential
        location_id = pkg.add(
            "location",
            {
                "id": stable_id(program.id, "location", i),
                "location_type": "physical",
                "organization_id": org_id,
                "name": None if hidden else loc.name,
                "latitude": None if hidden else loc.lat,
                "longitude": None if hidden else loc.lon,
            },
        )
        pkg.add(
            "service_at_location",
            {
                "id": stable_id(program.id, "location", i, "service_at_location"),
                "service_id": sid,
                "location_id": location_id,
            },
        )
        if loc.address is not None and not hidden:
            pkg.add("address", _address_row(loc.address, stable_id(program.id, "location", i, "address"), location_id))
        pkg.carry("location", location_id, "confidential", True if loc.confidential else None)
        if not hidden:
            pkg.carry("location", location_id, "geocode", loc.geocode)
            pkg.carry("location", location_id, "community_area", loc.community_area)


def _address_row(address: Address, address_id: str, location_id: str) -> dict[str, Any]:
    return {
        "id": address_id,
        "location_id": location_id,
        "address_1": address.street,
        "city": address.city,
        "state_province": address.state,
        # Required by HSDS; empty where the catalog has no ZIP code (ours are 5 digits, so "" is unambiguous).
        "postal_code": address.zip or "",
        "country": "US",
        "address_type": "physical",
    }


def _add_schedule(pkg: _Package, program: Program, sid: str) -> None:
    schedule = program.schedule
    if schedule is None:
        return
    # Times are Chicago wall-clock time: a fixed UTC offset (HSDS's suggestion) would be wrong half the year.
    if schedule.always_open:
        row_id = pkg.add(
            "schedule",
            {
                "id": stable_id(program.id, "schedule", "always_open"),
                "service_id": sid,
                "freq": "WEEKLY",
                "byday": ALL_DAYS,
                "opens_at": "00:00",
                "closes_at": "23:59",
                "description": "Open 24 hours a day, 7 days a week.",
            },
        )
        pkg.carry("schedule", row_id, "always_open", True)
    for k, hours in enumerate(schedule.weekly):
        pkg.add(
            "schedule",
            {
                "id": stable_id(program.id, "schedule", k),
                "service_id": sid,
                "freq": "WEEKLY",
                "byday": ",".join(DAY_CODES[d] for d in hours.days),
                "opens_at": hours.opens,
                "closes_at": hours.closes,
            },
        )
    if schedule.note is not None:
        # HSDS wants `description` to restate the hours without exceptions; our notes are exactly the exceptions.
        row_id = pkg.add(
            "schedule", {"id": stable_id(program.id, "schedule", "note"), "service_id": sid, "notes": schedule.note.en}
        )
        pkg.carry("schedule", row_id, "notes_es", schedule.note.es)


def _add_service_area(pkg: _Package, program: Program, sid: str) -> None:
    area = program.service_area
    names = community_areas()
    rows = [(n, names[n].name) for n in area.community_areas] or [(None, SCOPE_NAMES.get(area.scope, area.scope))]
    for k, (number, name) in enumerate(rows):
        row_id = pkg.add(
            "service_area", {"id": stable_id(program.id, "service_area", k), "service_id": sid, "name": name}
        )
        pkg.carry("service_area", row_id, "service_area_scope", area.scope)
        pkg.carry("service_area", row_id, "community_area", number)


def build_package(programs: Iterable[Program], *, public: bool = True) -> dict[str, list[dict[str, Any]]]:
    """Every HSDS table's rows for the programs (the tabular form, before it is written)."""
    pkg = _Package(public=public)
    for program in programs:
        _add_program(pkg, program)
    pkg.finish()
    return pkg.tables


def export_package(programs: Iterable[Program], out_dir: Path, *, public: bool = True) -> Path:
    """Write the HSDS data package and services.json to out_dir. The default is the public form: confidential
    locations appear with no name, address, coordinates or community area. public=False is for a 211 exchange."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = build_package(programs, public=public)
    for table in TABLES:
        (out_dir / table_file(table)).write_text(_csv_text(table, tables[table]), encoding="utf-8", newline="")
    # Fixed line ends everywhere, so that two exports of one catalog are the same bytes on any machine.
    (out_dir / "datapackage.json").write_text(_json_text(_datapackage(public)), encoding="utf-8", newline="\n")
    (out_dir / "services.json").write_text(_json_text(nested_services(tables)), encoding="utf-8", newline="\n")
    return out_dir


def _json_text(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _cell(value: object) -> str:
    # repr() of a float is the shortest text that reads back as the same float.
    if value is None:
        return ""
    return repr(value) if isinstance(value, float) else str(value)


def _csv_text(table: str, rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180, as HSDS asks
    cols = columns(table)
    writer.writerow(cols)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in cols])
    return buffer.getvalue()


def _datapackage(public: bool) -> dict[str, Any]:
    mode = "public" if public else "full"
    return {
        "profile": "tabular-data-package",
        "name": "chicago-navigator-programs",
        "title": "City of Chicago resource navigator: program catalog",
        "description": (
            f"Open Referral HSDS {HSDS_VERSION} data package ({mode} export). "
            + (
                "Confidential locations (shelters) carry no name, address, coordinates or community area. "
                if public
                else "Full export for 211 exchange: confidential location names and community areas are included. "
            )
            + "Times are local Chicago time (America/Chicago). Spanish text and catalog fields HSDS has no property "
            "for are attributes of the 'Chicago Navigator catalog fields' taxonomy. The same services, nested, are "
            "in services.json."
        ),
        "hsds": {"version": HSDS_VERSION, "export": mode, "json": "services.json"},
        "resources": [_resource(table) for table in TABLES],
    }


def _resource(table: str) -> dict[str, Any]:
    props = definition(table)["properties"]
    required = {"id", *definition(table).get("tabular_required", [])}
    fields = []
    for name in columns(table):
        spec = props[name]
        entry: dict[str, Any] = {"name": name, "type": spec.get("datapackage_type") or spec["type"]}
        if spec.get("format") in ("uuid", "uri", "email"):
            entry["format"] = spec["format"]
        if entry["type"] == "time":
            entry["format"] = "any"  # HSDS asks for HH:MM; the Frictionless default is HH:MM:SS
        if name in required:
            entry["constraints"] = {"required": True}
        fields.append(entry)
    foreign_keys = [
        {"fields": column, "reference": {"resource": target, "fields": "id"}}
        for source, column, target, _ in REFERENCES
        if source == table
    ]
    schema: dict[str, Any] = {"fields": fields, "primaryKey": ["id"]}
    if foreign_keys:
        schema["foreignKeys"] = foreign_keys
    return {
        "name": table,
        "path": table_file(table),
        "profile": "tabular-data-resource",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "schema": schema,
    }
