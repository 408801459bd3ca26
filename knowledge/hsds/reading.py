"""Reading a package in either form (CSV tables or services.json) into rows, checked against the vendored HSDS
schema and the package's own references."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from knowledge.hsds.mapping import REFERENCES, TABLES
from knowledge.hsds.spec import definition, required_columns, row_validator, service_validator, table_file

Form = Literal["csv", "json"]


class HSDSImportError(ValueError):
    """A package cannot be imported. The message is one line naming the file, the row and the field."""


@dataclass(frozen=True)
class Row:
    source: str  # where a message should point: "phones.csv row 3" or "services.json item 2 phones[0]"
    data: dict[str, Any]


Tables = dict[str, list[Row]]


def clip(text: object, limit: int = 160) -> str:
    one_line = " ".join(str(text).split())
    return one_line if len(one_line) <= limit else one_line[: limit - 3] + "..."


def _schema_error(error: Any) -> tuple[str, str]:
    """(field, message) for a jsonschema_rs error: the property it is about and what is wrong."""
    path = list(error.instance_path)
    message = str(error.message)
    missing = re.match(r'^"([^"]+)" is a required property$', message)
    if missing:
        path, message = [*path, missing[1]], "required, missing"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "-", clip(message)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise HSDSImportError(f"{path.name}: file not found in {path.parent}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise HSDSImportError(f"{path.name}: cannot read: {clip(exc)}") from exc
    except json.JSONDecodeError as exc:
        raise HSDSImportError(f"{path.name}: not valid JSON: {exc.msg} at line {exc.lineno}") from exc


def detect_form(in_dir: Path) -> Form:
    if not in_dir.is_dir():
        raise HSDSImportError(f"{in_dir}: not a folder")
    if (in_dir / "datapackage.json").exists():
        return "csv"
    if (in_dir / "services.json").exists():
        return "json"
    raise HSDSImportError(f"{in_dir}: no datapackage.json or services.json")


def _load_csv(in_dir: Path) -> tuple[Tables, list[str]]:
    descriptor = _read_json(in_dir / "datapackage.json")
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise HSDSImportError("datapackage.json: resources: missing; expected a list of the package's CSV files")
    listed = {str(r.get("path")) for r in resources if isinstance(r, dict)}
    if table_file("service") not in listed:
        raise HSDSImportError("datapackage.json: resources: services.csv is not listed")
    tables: Tables = {t: [] for t in TABLES}
    problems: list[str] = []
    for table in TABLES:
        if table_file(table) in listed:
            tables[table] = _read_table(in_dir / table_file(table), table, problems)
    return tables, problems


def _read_table(path: Path, table: str, problems: list[str]) -> list[Row]:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
        records = list(csv.reader(io.StringIO(text, newline="")))
    except FileNotFoundError:
        problems.append(f"{name}: listed in datapackage.json but not in the folder")
        return []
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(f"{name}: cannot read: {clip(exc)}")
        return []
    if not records:
        problems.append(f"{name} row 1: -: empty file, no header")
        return []
    header = records[0]
    for column in required_columns(table):
        if column not in header:
            problems.append(f"{name} row 1: {column}: missing column")
            return []
    rows: list[Row] = []
    first_row_of: dict[str, int] = {}
    for n, cells in enumerate(records[1:], start=2):
        if not any(cells):
            continue
        source = f"{name} row {n}"
        if len(cells) != len(header):
            problems.append(f"{source}: -: {len(cells)} cells where the header has {len(header)}")
            continue
        issue = _typed_row(table, dict(zip(header, cells, strict=True)))
        if isinstance(issue, str):
            problems.append(f"{source}: {issue}")
            continue
        error = next(iter(row_validator(table).iter_errors(issue)), None)
        if error is not None:
            where, message = _schema_error(error)
            problems.append(f"{source}: {where}: {message}")
            continue
        row_id = str(issue["id"])
        if row_id in first_row_of:
            problems.append(f"{source}: id: duplicate id {row_id} (also row {first_row_of[row_id]})")
            continue
        first_row_of[row_id] = n
        rows.append(Row(source, issue))
    return rows


def _typed_row(table: str, cells: dict[str, str]) -> dict[str, Any] | str:
    """The row as the JSON object HSDS describes, or the problem ("field: message") that stops it."""
    props = definition(table)["properties"]
    required = set(required_columns(table))
    data: dict[str, Any] = {}
    for column, cell in cells.items():
        kind = props.get(column, {}).get("type")
        if kind not in ("string", "number"):
            continue  # a column HSDS does not define: an extension of the publisher's we have no use for
        if cell == "":
            if column in required and kind == "string":
                data[column] = ""  # present but empty: the schema or the catalog model says what is wrong
            continue
        if kind == "number":
            try:
                data[column] = int(cell) if re.fullmatch(r"-?\d+", cell) else float(cell)
            except ValueError:
                return f"{column}: {clip(repr(cell))} is not a number"
        else:
            data[column] = cell
    return data


def _load_json(in_dir: Path) -> tuple[Tables, list[str]]:
    items = _read_json(in_dir / "services.json")
    if not isinstance(items, list):
        raise HSDSImportError("services.json: -: expected a JSON array of HSDS services")
    problems = []
    for i, item in enumerate(items, start=1):
        error = next(iter(service_validator().iter_errors(item)), None)
        if error is not None:
            where, message = _schema_error(error)
            problems.append(f"services.json item {i}: {where}: {message}")
    tables: Tables = {t: [] for t in TABLES}
    if not problems:
        flat = _Flattener(tables)
        for i, item in enumerate(items, start=1):
            flat.service(item, f"services.json item {i}")
    return tables, problems


def _scalars(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if not isinstance(v, dict | list)}


class _Flattener:
    """Nested HSDS objects -> the same rows the CSV tables hold, with the references nesting implies filled in."""

    # Nested under one service only: the same id twice is two records, not one record shown twice.
    OWN_TABLES = frozenset({"service", "phone", "schedule", "service_area", "language", "service_at_location"})

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.seen: dict[tuple[str, str], str] = {}

    def put(self, table: str, obj: dict[str, Any], source: str, refs: dict[str, Any]) -> None:
        row = _scalars(obj)
        for key, value in refs.items():
            row.setdefault(key, value)
        key = (table, row["id"])
        if key in self.seen and table in self.OWN_TABLES:
            raise HSDSImportError(f"{source}: id: duplicate id {clip(row['id'])} (also {self.seen[key]})")
        # Organizations, locations and taxonomy terms repeat under every service that uses them.
        if key not in self.seen:
            self.seen[key] = source
            self.tables[table].append(Row(source, row))
        for j, attribute in enumerate(obj.get("attributes", [])):
            self.attribute(attribute, f"{source} attributes[{j}]", obj["id"], table)

    def attribute(self, obj: dict[str, Any], source: str, link_id: str, entity: str) -> None:
        term = obj.get("taxonomy_term")
        refs = {"link_id": link_id, "link_entity": entity}
        if term:
            refs["taxonomy_term_id"] = term["id"]
            taxonomy = term.get("taxonomy_detail")
            if taxonomy:
                self.put("taxonomy", taxonomy, f"{source}.taxonomy_term.taxonomy_detail", {})
            term_refs = {"taxonomy_id": taxonomy["id"]} if taxonomy else {}
            self.put("taxonomy_term", term, f"{source}.taxonomy_term", term_refs)
        self.put("attribute", obj, source, refs)

    def service(self, item: dict[str, Any], source: str) -> None:
        sid = item["id"]
        organization = item.get("organization")
        refs = {"organization_id": organization["id"]} if organization else {}
        if organization:
            self.put("organization", organization, f"{source} organization", {})
        self.put("service", item, source, refs)
        for key, table in (
            ("phones", "phone"),
            ("schedules", "schedule"),
            ("service_areas", "service_area"),
            ("languages", "language"),
        ):
            for j, child in enumerate(item.get(key, [])):
                self.put(table, child, f"{source} {key}[{j}]", {"service_id": sid})
        for j, link in enumerate(item.get("service_at_locations", [])):
            where = f"{source} service_at_locations[{j}]"
            location = link.get("location")
            self.put(
                "service_at_location",
                link,
                where,
                {"service_id": sid, **({"location_id": location["id"]} if location else {})},
            )
            if location:
                self.put("location", location, f"{where}.location", {})
                for k, address in enumerate(location.get("addresses", [])):
                    self.put("address", address, f"{where}.location.addresses[{k}]", {"location_id": location["id"]})


def _reference_problems(tables: Tables, form: Form) -> list[str]:
    ids = {table: {row.data["id"] for row in rows} for table, rows in tables.items()}
    problems = []
    for table, column, target, checked in REFERENCES:
        if not checked:
            continue
        where = table_file(target) if form == "csv" else "services.json"
        for row in tables[table]:
            ref = row.data.get(column)
            if ref is not None and ref not in ids[target]:
                problems.append(f"{row.source}: {column}: no {target} with id {clip(ref)} in {where}")
    every_id = set().union(*ids.values())
    for row in tables["attribute"]:
        if row.data.get("link_id") not in every_id:
            problems.append(f"{row.source}: link_id: no record with id {clip(row.data.get('link_id'))} in the package")
    return problems


def read_tables(in_dir: Path, form: Form) -> tuple[Tables, list[str]]:
    tables, problems = _load_csv(in_dir) if form == "csv" else _load_json(in_dir)
    return tables, problems or _reference_problems(tables, form)


def validate_package(in_dir: Path, form: Form) -> list[str]:
    """Every problem the vendored HSDS schema and the package's references show; [] for a valid package."""
    try:
        return read_tables(Path(in_dir), form)[1]
    except HSDSImportError as exc:
        return [str(exc)]
