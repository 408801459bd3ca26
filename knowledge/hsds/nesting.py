"""HSDS tables -> the nested HSDS services of services.json (the export's JSON form)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any


def nested_services(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The services as nested HSDS objects, the shape of the compiled schema and of the API's /services/{id}."""
    nest = _Nester(tables)
    return [nest.service(row) for row in tables["service"]]


class _Nester:
    def __init__(self, tables: dict[str, list[dict[str, Any]]]) -> None:
        self.by_id = {t: {row["id"]: row for row in rows} for t, rows in tables.items()}
        self.children: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
        for table, column in (
            ("phone", "service_id"),
            ("schedule", "service_id"),
            ("service_area", "service_id"),
            ("language", "service_id"),
            ("service_at_location", "service_id"),
            ("address", "location_id"),
            ("attribute", "link_id"),
        ):
            for row in tables[table]:
                if column in row:
                    self.children[(table, column, row[column])].append(row)

    def _with_attributes(self, row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        attributes = [self._attribute(a) for a in self.children[("attribute", "link_id", row["id"])]]
        if attributes:
            out["attributes"] = attributes
        return out

    def _attribute(self, row: dict[str, Any]) -> dict[str, Any]:
        # The term names its taxonomy; nesting the taxonomy object in every attribute as well would double the file.
        return {**row, "taxonomy_term": self.by_id["taxonomy_term"][row["taxonomy_term_id"]]}

    def _list(self, table: str, column: str, key: str) -> list[dict[str, Any]]:
        return [self._with_attributes(r) for r in self.children[(table, column, key)]]

    def service(self, row: dict[str, Any]) -> dict[str, Any]:
        sid = row["id"]
        out = self._with_attributes(row)
        out["organization"] = self.by_id["organization"][row["organization_id"]]
        parts = {
            "phones": self._list("phone", "service_id", sid),
            "schedules": self._list("schedule", "service_id", sid),
            "service_areas": self._list("service_area", "service_id", sid),
            "languages": self._list("language", "service_id", sid),
            "service_at_locations": [
                self._at_location(s) for s in self.children[("service_at_location", "service_id", sid)]
            ],
        }
        out.update({key: value for key, value in parts.items() if value})
        return out

    def _at_location(self, row: dict[str, Any]) -> dict[str, Any]:
        location = self._with_attributes(self.by_id["location"][row["location_id"]])
        addresses = self._list("address", "location_id", location["id"])
        if addresses:
            location["addresses"] = addresses
        return {**row, "location": location}
