"""Import: a package's rows -> `Program` records, with errors that name the HSDS file, row and field."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from knowledge.hsds.mapping import DAY_CODES, KIND_BY_TYPE, SOURCE_RE, TAXONOMIES
from knowledge.hsds.reading import Form, HSDSImportError, Row, Tables, clip, detect_form, read_tables
from knowledge.schema import Program

# Our field path (relative to the record an error is about) -> the HSDS field it came from, for error messages.
SERVICE_FIELDS = {
    "": "-",
    "id": "attribute program_id",
    "name": "name",
    "name.es": "attribute name_es",
    "short_name": "alternate_name",
    "short_name.es": "attribute alternate_name_es",
    "organization": "organization_id",
    "summary": "attribute summary_en",
    "summary.es": "attribute summary_es",
    "description": "description",
    "description.es": "attribute description_es",
    "categories": "attributes of the service_category taxonomy",
    "audiences": "attributes of the audience taxonomy",
    "website": "url",
    "service_area": "service_areas (none for this service)",
    "languages": "languages",
    "languages_note": "interpretation_services",
    "eligibility": "eligibility_description",
    "eligibility.age_min": "minimum_age",
    "eligibility.age_max": "maximum_age",
    "eligibility.residency": "attribute eligibility_residency",
    "eligibility.note.es": "attribute eligibility_description_es",
    "sources": "attribute source",
    "verification": "assured_date",
    "verification.method": "attribute verification_method",
    "verification.notes": "attribute verification_notes",
    "phones": "phones",
    "locations": "service_at_location",
    "schedule": "schedules",
}
ORGANIZATION_FIELDS = {"": "-", "name": "name", "website": "website"}
PHONE_FIELDS = {
    "": "-",
    "number": "number",
    "kind": "type",
    "label": "description",
    "label.es": "attribute description_es",
    "available_24_7": "attribute available_24_7",
}
TEXT_LINE_FIELDS = {
    "": "-",
    "number": "number",
    "keyword": "attribute text_keyword",
    "note": "description",
    "note.es": "attribute description_es",
}
LOCATION_FIELDS = {
    "": "latitude/longitude",
    "name": "name",
    "lat": "latitude",
    "lon": "longitude",
    "geocode": "attribute geocode",
    "community_area": "attribute community_area",
    "confidential": "attribute confidential",
}
ADDRESS_FIELDS = {"": "-", "street": "address_1", "city": "city", "state": "state_province", "zip": "postal_code"}
SCHEDULE_FIELDS = {
    "": "-",
    "always_open": "attribute always_open",
    "note": "notes",
    "note.es": "attribute notes_es",
    "weekly": "freq",
}
HOURS_FIELDS = {"": "-", "days": "byday", "opens": "opens_at", "closes": "closes_at"}
AREA_FIELDS = {"": "-", "scope": "attribute service_area_scope", "community_areas": "attribute community_area"}
VALUE_FIELDS = {"": "value"}
LANGUAGE_FIELDS = {"": "code"}


@dataclass(frozen=True)
class _Attribute:
    link_type: str | None  # one of TAXONOMIES' keys, or None for a term of someone else's taxonomy
    code: str
    value: str | None
    source: str


def _localized(en: str | None, es: str | None) -> dict[str, str] | None:
    if en is None and es is None:
        return None
    return {k: v for k, v in (("en", en), ("es", es)) if v is not None}


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


class _Assembler:
    """Builds one Program per service row, remembering which row each part came from for error messages."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.by_id = {table: {row.data["id"]: row for row in rows} for table, rows in tables.items()}
        self.by_service: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for table in ("phone", "schedule", "service_area", "language", "service_at_location"):
            for row in tables[table]:
                if "service_id" in row.data:
                    self.by_service[(table, row.data["service_id"])].append(row)
        self.addresses: dict[str, list[Row]] = defaultdict(list)
        for row in tables["address"]:
            if "location_id" in row.data:  # HSDS does not require it; an address of no location is no use to us
                self.addresses[row.data["location_id"]].append(row)
        self.attributes = self._attributes()
        self.origins: dict[tuple[Any, ...], tuple[str, dict[str, str]]] = {}

    def _attributes(self) -> dict[str, list[_Attribute]]:
        taxonomy_names = {row.data["id"]: row.data.get("name") for row in self.tables["taxonomy"]}
        ours = {name: key for key, (name, _) in TAXONOMIES.items()}
        terms = {}
        for row in self.tables["taxonomy_term"]:
            name = taxonomy_names.get(row.data.get("taxonomy_id")) or row.data.get("taxonomy")
            terms[row.data["id"]] = (ours.get(str(name)), row.data.get("code") or row.data["name"])
        out: dict[str, list[_Attribute]] = defaultdict(list)
        for row in self.tables["attribute"]:
            # An attribute may carry only a value, with no term: it is someone else's, not one of our fields.
            link_type, code = terms.get(row.data.get("taxonomy_term_id"), (None, ""))
            out[row.data["link_id"]].append(_Attribute(link_type, code, row.data.get("value"), row.source))
        return out

    def _fields(self, link_id: str) -> dict[str, _Attribute]:
        """The record's catalog_field attributes by code (the first of each; `source` repeats and is read apart)."""
        found: dict[str, _Attribute] = {}
        for attribute in self.attributes[link_id]:
            if attribute.link_type == "catalog_field":
                found.setdefault(attribute.code, attribute)
        return found

    def _value(self, link_id: str, code: str) -> str | None:
        attribute = self._fields(link_id).get(code)
        return attribute.value if attribute else None

    def programs(self) -> list[Program]:
        programs = []
        seen: dict[str, str] = {}
        for row in self.tables["service"]:
            program = self._program(row)
            if program.id in seen:
                raise HSDSImportError(
                    f"{row.source}: attribute program_id: duplicate id {program.id} ({seen[program.id]})"
                )
            seen[program.id] = row.source
            programs.append(program)
        return programs

    def _program(self, row: Row) -> Program:
        self.origins = {(): (row.source, SERVICE_FIELDS)}
        sid = row.data["id"]
        s = row.data
        value = self._value
        data = {
            "id": value(sid, "program_id"),
            "name": _localized(s.get("name"), value(sid, "name_es")),
            "short_name": _localized(s.get("alternate_name"), value(sid, "alternate_name_es")),
            "organization": self._organization(s.get("organization_id")),
            "summary": _localized(value(sid, "summary_en"), value(sid, "summary_es")),
            "description": _localized(s.get("description"), value(sid, "description_es")),
            "categories": self._terms(sid, "service_category", ("categories",)),
            "audiences": self._terms(sid, "audience", ("audiences",)),
            "phones": self._phones(sid),
            "text_line": self._text_line(sid),
            "website": s.get("url"),
            "locations": self._locations(sid),
            "service_area": self._service_area(sid),
            "schedule": self._schedule(sid),
            "languages": self._languages(sid),
            "languages_note": s.get("interpretation_services"),
            "eligibility": _drop_none(
                {
                    "age_min": s.get("minimum_age"),
                    "age_max": s.get("maximum_age"),
                    "residency": value(sid, "eligibility_residency"),
                    "note": _localized(s.get("eligibility_description"), value(sid, "eligibility_description_es")),
                }
            ),
            "sources": self._sources(sid),
            "verification": _drop_none(
                {
                    "verified_on": s.get("assured_date"),
                    "method": value(sid, "verification_method"),
                    "notes": value(sid, "verification_notes"),
                }
            ),
        }
        try:
            return Program.model_validate(_drop_none(data))
        except ValidationError as exc:
            raise HSDSImportError(self._explain(exc)) from None

    def _explain(self, exc: ValidationError) -> str:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        prefix = next(loc[:k] for k in range(len(loc), -1, -1) if loc[:k] in self.origins)
        source, fields = self.origins[prefix]
        rest = [str(part) for part in loc[len(prefix) :]]
        hsds_field = next(
            (fields[".".join(rest[:k])] for k in range(len(rest), -1, -1) if ".".join(rest[:k]) in fields),
            ".".join(rest) or "-",
        )
        return f"{source}: {hsds_field}: {_pydantic_message(error)}"

    def _organization(self, org_id: str | None) -> dict[str, Any] | None:
        row = self.by_id["organization"].get(org_id) if org_id else None
        if row is None:
            return None
        self.origins[("organization",)] = (row.source, ORGANIZATION_FIELDS)
        return _drop_none({"name": row.data.get("name"), "website": row.data.get("website")})

    def _terms(self, sid: str, link_type: str, loc: tuple[str]) -> list[str]:
        found = [a for a in self.attributes[sid] if a.link_type == link_type]
        for k, attribute in enumerate(found):
            self.origins[(*loc, k)] = (attribute.source, {"": "taxonomy_term_id"})
        return [a.code for a in found]

    def _phones(self, sid: str) -> list[dict[str, Any]]:
        phones = []
        for row in self.by_service[("phone", sid)]:
            if row.data.get("type") == "text":
                continue
            self.origins[("phones", len(phones))] = (row.source, PHONE_FIELDS)
            pid = row.data["id"]
            phones.append(
                _drop_none(
                    {
                        "number": _with_extension(row),
                        "kind": self._value(pid, "phone_kind") or KIND_BY_TYPE.get(str(row.data.get("type")), "voice"),
                        "label": _localized(row.data.get("description"), self._value(pid, "description_es")),
                        "available_24_7": self._value(pid, "available_24_7"),
                    }
                )
            )
        return phones

    def _text_line(self, sid: str) -> dict[str, Any] | None:
        lines = [row for row in self.by_service[("phone", sid)] if row.data.get("type") == "text"]
        if not lines:
            return None
        if len(lines) > 1:
            raise HSDSImportError(f"{lines[1].source}: type: a second text line for one service; the catalog has one")
        row = lines[0]
        self.origins[("text_line",)] = (row.source, TEXT_LINE_FIELDS)
        pid = row.data["id"]
        return _drop_none(
            {
                "number": _with_extension(row),
                "keyword": self._value(pid, "text_keyword"),
                "note": _localized(row.data.get("description"), self._value(pid, "description_es")),
            }
        )

    def _locations(self, sid: str) -> list[dict[str, Any]]:
        locations = []
        for link in self.by_service[("service_at_location", sid)]:
            if "location_id" not in link.data:
                raise HSDSImportError(f"{link.source}: location_id: required, missing (and no nested location)")
            row = self.by_id["location"][link.data["location_id"]]
            i = len(locations)
            self.origins[("locations", i)] = (row.source, LOCATION_FIELDS)
            lid = row.data["id"]
            fields = self._fields(lid)
            location = {
                "name": row.data.get("name"),
                "lat": row.data.get("latitude"),
                "lon": row.data.get("longitude"),
                "geocode": fields["geocode"].value if "geocode" in fields else None,
                "community_area": fields["community_area"].value if "community_area" in fields else None,
                "confidential": fields["confidential"].value if "confidential" in fields else None,
            }
            addresses = self.addresses.get(lid, [])
            if addresses:
                address = addresses[0]
                self.origins[("locations", i, "address")] = (address.source, ADDRESS_FIELDS)
                location["address"] = _drop_none(
                    {
                        "street": address.data.get("address_1"),
                        "city": address.data.get("city"),
                        "state": address.data.get("state_province"),
                        "zip": address.data.get("postal_code") or None,
                    }
                )
            locations.append(_drop_none(location))
        return locations

    def _service_area(self, sid: str) -> dict[str, Any] | None:
        rows = self.by_service[("service_area", sid)]
        if not rows:
            return None
        self.origins[("service_area",)] = (rows[0].source, AREA_FIELDS)
        scopes = [(row, self._value(row.data["id"], "service_area_scope")) for row in rows]
        first = scopes[0][1]
        for row, scope in scopes[1:]:
            if scope != first:
                raise HSDSImportError(
                    f"{row.source}: attribute service_area_scope: {scope!r} differs from {first!r} on the same service"
                )
        areas = []
        for row in rows:
            number = self._value(row.data["id"], "community_area")
            if number is not None:
                self.origins[("service_area", "community_areas", len(areas))] = (row.source, VALUE_FIELDS)
                areas.append(number)
        return _drop_none({"scope": first, "community_areas": areas})

    def _schedule(self, sid: str) -> dict[str, Any] | None:
        rows = self.by_service[("schedule", sid)]
        if not rows:
            return None
        self.origins[("schedule",)] = (rows[0].source, SCHEDULE_FIELDS)
        always_open = None
        weekly: list[dict[str, Any]] = []
        note = None
        for row in rows:
            r = row.data
            fields = self._fields(r["id"])
            if "always_open" in fields:
                always_open = fields["always_open"].value
                self.origins[("schedule",)] = (row.source, SCHEDULE_FIELDS)
            elif r.get("freq") or r.get("byday"):
                if r.get("freq", "WEEKLY") != "WEEKLY":
                    raise HSDSImportError(f"{row.source}: freq: only WEEKLY hours can be imported, not {r['freq']!r}")
                self.origins[("schedule", "weekly", len(weekly))] = (row.source, HOURS_FIELDS)
                weekly.append(
                    {
                        "days": [_day(code) for code in str(r.get("byday", "")).split(",") if code],
                        "opens": _hhmm(r.get("opens_at")),
                        "closes": _hhmm(r.get("closes_at")),
                    }
                )
            text = r.get("notes") or (None if r.get("freq") else r.get("description"))
            if note is None and text:
                note = _localized(text, fields["notes_es"].value if "notes_es" in fields else None)
                self.origins[("schedule", "note")] = (row.source, {"": "notes", "es": "attribute notes_es"})
        return _drop_none({"always_open": always_open, "weekly": weekly, "note": note})

    def _languages(self, sid: str) -> list[Any]:
        codes = []
        for row in self.by_service[("language", sid)]:
            self.origins[("languages", len(codes))] = (row.source, LANGUAGE_FIELDS)
            codes.append(row.data.get("code"))
        return codes

    def _sources(self, sid: str) -> list[dict[str, Any]]:
        sources = []
        for attribute in self.attributes[sid]:
            if attribute.link_type != "catalog_field" or attribute.code != "source":
                continue
            self.origins[("sources", len(sources))] = (attribute.source, VALUE_FIELDS)
            text = attribute.value or ""
            match = SOURCE_RE.match(text)
            sources.append({"url": match["url"], "date": match["date"]} if match else {"url": text})
        return sources


def _with_extension(row: Row) -> Any:
    number = row.data.get("number")
    extension = row.data.get("extension")
    if extension is None:
        return number
    if isinstance(extension, float) and extension.is_integer():
        extension = int(extension)
    return f"{number} ext. {extension}"


def _day(code: str) -> str:
    by_code = {v: k for k, v in DAY_CODES.items()}
    return by_code.get(code.strip().upper(), code.strip().lower())


def _hhmm(text: object) -> object:
    # Other publishers write HH:MM:SS; seconds of zero say nothing the catalog's HH:MM cannot.
    if isinstance(text, str) and re.fullmatch(r"\d\d:\d\d:00", text):
        return text[:5]
    return text


def _pydantic_message(error: Any) -> str:
    if error["type"] == "missing":
        return "missing Spanish text" if error["loc"] and error["loc"][-1] == "es" else "required, missing"
    return clip(str(error["msg"]).removeprefix("Value error, "))


def import_package(in_dir: Path, form: Form | None = None) -> list[Program]:
    """Read an HSDS package (CSV tables with datapackage.json, or services.json) back to catalog records.

    The package is checked against the vendored HSDS schema and its references first; any problem raises
    HSDSImportError with one line naming the file, the row and the field."""
    in_dir = Path(in_dir)
    form = form or detect_form(in_dir)
    tables, problems = read_tables(in_dir, form)
    if problems:
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise HSDSImportError(problems[0] + more)
    return _Assembler(tables).programs()
