"""The vendored HSDS schema (`knowledge/data/hsds/`): its tables' files and columns, validators, and our ids.

Every id is a uuid5 of the program id and the part it names, so exporting the same catalog twice gives the same bytes
and a partner's records keep their keys from one export to the next.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

HSDS_DIR = Path(__file__).parents[1] / "data" / "hsds"
# The official compiled schema: one self-contained file with every HSDS object under "definitions".
SCHEMA_FILE = HSDS_DIR / "service_with_definitions.json"
HSDS_VERSION = "3.0"
# Never change this: every exported id derives from it, and partners key their copies of our records on those ids.
NAMESPACE = uuid.UUID("04191298-e7e9-5de1-88cc-8442cfffb78a")

# The vendored schema is HSDS 3.1, a superset of 3.0; these properties are new in 3.1 and so never written.
HSDS_31_ONLY: frozenset[tuple[str, str]] = frozenset(
    {
        ("service", "additional_urls"),
        ("service", "capacities"),
        ("organization", "additional_websites"),
        ("attribute", "label"),
        ("service_at_location", "service_areas"),
    }
)


@cache
def hsds_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def definition(table: str) -> dict[str, Any]:
    schema = hsds_schema()
    return schema if table == "service" else schema["definitions"][table]


def table_file(table: str) -> str:
    return str(definition(table)["path"])


def columns(table: str) -> list[str]:
    """The table's CSV columns: its scalar HSDS 3.0 properties, minus the deprecated ones."""
    props = definition(table)["properties"]
    return [
        name
        for name, spec in props.items()
        if spec.get("type") in ("string", "number")
        and (table, name) not in HSDS_31_ONLY
        and not str(spec.get("description", "")).startswith("DEPRECATED")
    ]


def required_columns(table: str) -> list[str]:
    spec = definition(table)
    return list(dict.fromkeys([*spec.get("required", []), *spec.get("tabular_required", [])]))


@cache
def row_validator(table: str) -> Any:
    # A CSV row is the object without its nested arrays, so it must meet the tabular requirements too.
    schema = hsds_schema()
    row_schema = {
        "definitions": schema["definitions"],
        "allOf": [{"$ref": "#/definitions/" + table} if table != "service" else _root_without_definitions()],
        "required": required_columns(table),
    }
    return jsonschema_rs.validator_for(row_schema, validate_formats=True)


def _root_without_definitions() -> dict[str, Any]:
    return {key: value for key, value in hsds_schema().items() if key != "definitions"}


@cache
def service_validator() -> Any:
    """The validator for one nested HSDS service, as services.json holds them."""
    return jsonschema_rs.validator_for(hsds_schema(), validate_formats=True)


def stable_id(*parts: object) -> str:
    """The id of the record the parts name: a uuid5 in NAMESPACE, the same on every export."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))
