"""A thin typed client for the Navigator api: timeouts, retries on transient failures, a service token, and the
running action's request id (X-Request-ID, see actions/metrics.py) on every call, so the api's log lines of one action
share it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from tenacity import retry, retry_if_exception, stop_after_attempt, wait_exponential

from actions import metrics
from actions.settings import ActionsSettings


class ApiUnavailable(Exception):
    """The api could not be reached or failed; the resident must be told the truth and given 211/311."""


class BadPlace(ValueError):
    """The api did not know the place; the message is safe to show."""


class ReferralRejected(ValueError):
    """The api refused a referral for good (4xx): retrying the same request can never succeed."""


class HazardRejected(ValueError):
    """The api refused a hazard report for good (4xx): retrying the same request can never succeed."""


@dataclass(frozen=True)
class ReferralReceipt:
    code: str
    status: str
    outcome: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReferralReceipt:
        return cls(code=data["code"], status=data["status"], outcome=data.get("outcome"))


@dataclass(frozen=True)
class HazardReceipt:
    code: str
    hazard_type: str
    state: str  # filed, queued (311 not answering yet), filing (being sent) or refused (by 311)
    service_request_id: str | None  # the city's 311 number, once filed
    city_status: str | None  # open or closed, as the city last said

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> HazardReceipt:
        return cls(
            code=data["code"],
            hazard_type=data["hazard_type"],
            state=data["state"],
            service_request_id=data.get("service_request_id"),
            city_status=data.get("city_status"),
        )


@dataclass(frozen=True)
class ProgramSummary:
    id: str
    short_name: str
    summary: str
    # Chosen by the api (knowledge.sms.contact), the same rule the catalog's one-segment check uses.
    contact: str
    contact_kind: str  # phone, text, website or none: which of the fields below the contact is
    text_line: str | None
    website: str | None
    distance_km: float | None
    open_now: bool | None
    categories: list[str] = field(default_factory=list)
    verified_on: str | None = None  # ISO day the program's facts were last checked

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProgramSummary:
        return cls(
            id=data["id"],
            short_name=data["short_name"],
            summary=data["summary"],
            contact=data["contact"],
            contact_kind=data["contact_kind"],
            text_line=(data.get("text_line") or {}).get("number"),
            website=data.get("website"),
            distance_km=data.get("distance_km"),
            open_now=data.get("open_now"),
            categories=list(data.get("categories", [])),
            verified_on=data.get("verified_on"),
        )


@dataclass(frozen=True)
class EventSummary:
    id: int
    kind: str  # event or safe_space
    sms: str  # one segment, in the language asked for: "Sat Nov 28, 2-5pm: Teen Open Gym, 6300 S Halsted St"
    distance_km: float | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventSummary:
        return cls(id=data["id"], kind=data["kind"], sms=data["sms"], distance_km=data.get("distance_km"))


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, httpx.HTTPStatusError) and exc.response.status_code >= 500


def bad_place_or_unavailable(response: httpx.Response) -> Exception:
    """What a 422 means to the resident: a place the api does not know (its message is safe to show), or a request we
    built wrong, which they can do nothing about."""
    details = response.json().get("detail", [])
    place = [d for d in details if d.get("loc", [])[-1:] == ["near"]]
    if place:
        return BadPlace(place[0].get("msg", "Unknown place."))
    return ApiUnavailable("rejected query")


# One connection pool per api address, made on first use and shared by every action and thread: a new httpx.Client
# costs ~33 ms (its SSL context, even for http://), which was most of a program-details action under load, and a
# pooled connection saves the TCP handshake too. httpx's sync client is safe to share between threads.
_POOLS: dict[tuple[str, float], httpx.Client] = {}
_POOLS_LOCK = threading.Lock()


def shared_client(settings: ActionsSettings) -> httpx.Client:
    key = (settings.api_url, settings.api_timeout_s)
    with _POOLS_LOCK:
        client = _POOLS.get(key)
        if client is None or client.is_closed:
            client = _POOLS[key] = httpx.Client(base_url=settings.api_url, timeout=settings.api_timeout_s)
        return client


class NavigatorApi:
    def __init__(self, settings: ActionsSettings, transport: httpx.BaseTransport | None = None) -> None:
        # Per call, not per pool: the token, and one id for this client's calls, retries included (the running
        # action's, or a new one outside an action).
        self.request_id = metrics.current_request_id()
        self._headers = {"X-Request-ID": self.request_id}
        if settings.service_token:
            self._headers["Authorization"] = f"Bearer {settings.service_token}"
        self._own = transport is not None
        self._client = (
            httpx.Client(base_url=settings.api_url, timeout=settings.api_timeout_s, transport=transport)
            if self._own
            else shared_client(settings)
        )
        self._request = retry(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(settings.api_retries + 1),
            wait=wait_exponential(multiplier=0.1, max=1.0),
            reraise=True,
        )(self._request_once)

    def _request_once(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        response = self._client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 500:
            response.raise_for_status()
        return response

    def _call(
        self, path: str, params: dict[str, Any] | None = None, *, method: str = "GET", **kwargs: Any
    ) -> httpx.Response:
        try:
            return self._request(method, path, params=params, **kwargs)
        except httpx.HTTPError as exc:
            metrics.api_unavailable()
            # The type and the request id (to find the api's side of it): never the URL, which may carry the query.
            raise ApiUnavailable(f"{type(exc).__name__} [request {self.request_id}]") from exc

    def search(
        self, q: str, *, lang: str, near: str | None = None, limit: int = 3, category: str | None = None
    ) -> list[ProgramSummary]:
        params: dict[str, Any] = {"q": q[:500], "lang": lang, "limit": max(1, min(limit, 20))}
        if near:
            params["near"] = near
        if category:
            params["category"] = category
        response = self._call("/api/v1/programs/search", params)
        if response.status_code == 422:
            raise bad_place_or_unavailable(response)
        if response.status_code != 200:
            raise ApiUnavailable(f"status {response.status_code}")
        return [ProgramSummary.from_json(r) for r in response.json()["results"]]

    def events(
        self,
        *,
        lang: str,
        near: str | None,
        start: datetime | None,
        end: datetime | None,
        audience: str | None,
        kind: str | None,
        limit: int,
    ) -> list[EventSummary]:
        """Upcoming events and safe-space hours overlapping [start, end) (by default the api's next 60 days), nearest
        to `near` first, then soonest."""
        params: dict[str, Any] = {"lang": lang, "limit": max(1, min(limit, 50))}
        optional = {"near": near, "audience": audience, "kind": kind, "from": start, "to": end}
        params |= {k: v.isoformat() if isinstance(v, datetime) else v for k, v in optional.items() if v}
        response = self._call("/api/v1/events", params)
        if response.status_code == 422:
            raise bad_place_or_unavailable(response)
        if response.status_code != 200:
            raise ApiUnavailable(f"status {response.status_code}")
        return [EventSummary.from_json(r) for r in response.json()["results"]]

    def program(self, program_id: str, *, lang: str) -> dict[str, Any] | None:
        response = self._call(f"/api/v1/programs/{program_id}", {"lang": lang})
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ApiUnavailable(f"status {response.status_code}")
        return response.json()

    def community_area(self, near: str) -> str | None:
        """The community area's name for a place the resident gave (what a referral keeps instead of the place)."""
        response = self._call("/api/v1/places", {"near": near[:100]})
        if response.status_code != 200:
            return None
        return response.json().get("community_area_name") or None

    def create_referral(self, body: dict[str, Any], *, idempotency_key: str) -> ReferralReceipt:
        """Send a consented referral; the same key may be sent any number of times and creates one referral."""
        response = self._call(
            "/api/v1/referrals", method="POST", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code in (200, 201):
            return ReferralReceipt.from_json(response.json())
        if response.status_code in (401, 403, 503) or response.status_code == 429:
            # A token being rotated or referrals not yet configured: the request stays queued and is sent later.
            raise ApiUnavailable(f"status {response.status_code}")
        raise ReferralRejected(f"status {response.status_code}")

    def referrals_of(self, conversation_id: str) -> list[ReferralReceipt]:
        response = self._call(f"/api/v1/conversations/{conversation_id}/referrals")
        if response.status_code != 200:
            raise ApiUnavailable(f"status {response.status_code}")
        return [ReferralReceipt.from_json(r) for r in response.json()]

    def withdraw_referrals(self, conversation_id: str) -> list[ReferralReceipt]:
        response = self._call(f"/api/v1/conversations/{conversation_id}/referrals/withdraw", method="POST")
        if response.status_code != 200:
            raise ApiUnavailable(f"status {response.status_code}")
        return [ReferralReceipt.from_json(r) for r in response.json()]

    def create_hazard_report(self, body: dict[str, Any], *, idempotency_key: str) -> HazardReceipt:
        """Report a hazard to 311 through the api; the same key may be sent any number of times and makes one report."""
        response = self._call(
            "/api/v1/hazard-reports", method="POST", json=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code in (200, 201):
            return HazardReceipt.from_json(response.json())
        if response.status_code in (401, 403, 429, 503):
            # A token being rotated or the api overloaded: not the report's fault, and not sent.
            raise ApiUnavailable(f"status {response.status_code}")
        raise HazardRejected(f"status {response.status_code}")

    def hazard_reports_of(self, conversation_id: str) -> list[HazardReceipt]:
        """The conversation's latest reports, newest first, with the city's status as the api last read it."""
        response = self._call(f"/api/v1/conversations/{conversation_id}/hazard-reports")
        if response.status_code != 200:
            raise ApiUnavailable(f"status {response.status_code}")
        return [HazardReceipt.from_json(r) for r in response.json()]

    def close(self) -> None:
        # The shared pool stays open for the next action.
        if self._own:
            self._client.close()
