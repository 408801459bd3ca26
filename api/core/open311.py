"""Chicago's 311 speaks Open311 GeoReport v2: a small client for what hazard reports need.

- services(): the service list (`GET services.json`), to map Navigator's hazard types to the city's service codes;
- file(): a new service request (`POST requests.json`), anonymous unless the caller passes contact fields;
- find(): the city's requests of one service since a time (`GET requests.json`), to learn whether a filing whose
  answer was lost did reach the city before filing it again (GeoReport v2 has no idempotency key);
- status(): one request (`GET requests/{id}.json`).

Every failure to get an answer is Open311Unavailable (worth trying again later); a refusal of the request itself is
Open311Refused (a 4xx: trying again would be refused again). Nothing here logs: callers log outcomes, never the
address or the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx


class Open311Unavailable(Exception):
    """No answer, or a 5xx / 429: the request may or may not have been filed."""


class Open311Refused(Exception):
    """A 4xx with the city's error description: the request was not filed."""


@dataclass(frozen=True)
class CityRequest:
    service_request_id: str
    status: str  # open | closed
    status_notes: str | None
    description: str
    requested: str  # ISO 8601, as the city wrote it


class Open311:
    def __init__(self, base_url: str, api_key: str, *, jurisdiction_id: str = "", timeout_s: float = 10) -> None:
        self.base = base_url.rstrip("/")
        self.api_key = api_key
        self.jurisdiction = {"jurisdiction_id": jurisdiction_id} if jurisdiction_id else {}
        # trust_env=False: a proxy variable must not route residents' reports elsewhere.
        self.http = httpx.Client(timeout=timeout_s, trust_env=False, headers={"User-Agent": "navigator-cscc"})

    def close(self) -> None:
        self.http.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self.http.request(method, f"{self.base}/{path}", **kwargs)
        except httpx.HTTPError as exc:
            raise Open311Unavailable(type(exc).__name__) from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise Open311Unavailable(f"HTTP {answer.status_code}")
        try:
            body = answer.json()
        except ValueError as exc:
            raise Open311Unavailable(f"HTTP {answer.status_code}, not JSON") from exc
        if answer.status_code >= 400:
            errors = body if isinstance(body, list) else [body]
            described = "; ".join(str(e.get("description", "")) for e in errors if isinstance(e, dict))
            raise Open311Refused(f"HTTP {answer.status_code}: {described or 'refused'}"[:200])
        return body

    def services(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "services.json", params=self.jurisdiction))

    def file(
        self,
        *,
        service_code: str,
        description: str,
        address: str = "",
        lat: float | None = None,
        lon: float | None = None,
        media_url: str = "",
        contact: dict[str, str] | None = None,
    ) -> str:
        """The city's service_request_id (or its token, when the city files later)."""
        form: dict[str, str] = {"api_key": self.api_key, "service_code": service_code, "description": description,
                                **self.jurisdiction}  # fmt: skip
        if address:
            form["address_string"] = address
        if lat is not None and lon is not None:
            form["lat"], form["long"] = f"{lat:.6f}", f"{lon:.6f}"
        if media_url:
            form["media_url"] = media_url
        form.update(contact or {})
        body = self._call("POST", "requests.json", data=form)
        first = body[0] if isinstance(body, list) and body else body
        if not isinstance(first, dict) or not (first.get("service_request_id") or first.get("token")):
            raise Open311Unavailable("an answer without a service_request_id or token")
        return str(first.get("service_request_id") or first.get("token"))

    def find(self, *, service_code: str, since: datetime) -> list[CityRequest]:
        params = {"service_code": service_code, "start_date": since.strftime("%Y-%m-%dT%H:%M:%SZ"),
                  **self.jurisdiction}  # fmt: skip
        return [_request(row) for row in self._call("GET", "requests.json", params=params)]

    def status(self, service_request_id: str) -> CityRequest:
        body = self._call("GET", f"requests/{service_request_id}.json", params=self.jurisdiction)
        first = body[0] if isinstance(body, list) and body else body
        if not isinstance(first, dict):
            raise Open311Unavailable("an answer without the request")
        return _request(first)


def _request(row: dict[str, Any]) -> CityRequest:
    return CityRequest(
        service_request_id=str(row.get("service_request_id", "")),
        status=str(row.get("status") or "open"),
        status_notes=row.get("status_notes"),
        description=str(row.get("description") or ""),
        requested=str(row.get("requested_datetime") or ""),
    )
