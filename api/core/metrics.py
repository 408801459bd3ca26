"""Prometheus metrics of the api, served at GET /metrics (api/routes/metrics.py).

Labels are bounded and never personal: HTTP method, route *template*, status code, reply language, referral status
and channel. Never a query text, a concrete path, a code or a conversation id.

One `ApiMetrics` per app, with its own registry (tests open several apps in one process). With several uvicorn
workers (NAVIGATOR_API_WORKERS > 1) each worker counts in its own memory; set PROMETHEUS_MULTIPROC_DIR to an empty
folder (`python -m api` empties it at start) and prometheus-client's multiprocess mode adds the workers' counters up
at scrape time. The referral gauge is read from the database at scrape time, by whichever worker answers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from api.crud.checkins import CHECKIN_STATES, DELIVERY_ORDER, checkin_delivery_counts, checkin_state_counts
from api.crud.hazards import HAZARD_STATES, hazard_state_counts
from api.crud.referrals import all_status_counts
from knowledge.catalog import load_taxonomy
from knowledge.index import document_texts
from knowledge.text import stems

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from knowledge.schema import Program
    from knowledge.search import SearchOutcome

log = logging.getLogger("navigator.api.metrics")

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Seconds. The web chat relay waits up to 20 s for the bot; a search takes tens to hundreds of milliseconds.
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0)
# What a resident sees first: an SMS reply lists three programs.
GOOD_RESULT_DEPTH = 3
# Every status a referral can have (api/crud/referrals.py TRANSITIONS), so a status with none still shows 0.
REFERRAL_STATUSES = ("new", "assigned", "contacted", "connected", "unable_to_reach", "declined", "closed")


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def clear_multiprocess_dir() -> None:
    """Remove the previous run's files: counters from a dead process must not be added to a new run's."""
    folder = multiprocess_dir()
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()


def _families() -> tuple[GaugeMetricFamily, ...]:
    return (
        GaugeMetricFamily("navigator_referrals", "Referrals in each status now.", labels=["status"]),
        GaugeMetricFamily(
            "navigator_checkins", "Follow-up check-ins (referral rounds) by state, ever.", labels=["state"]
        ),
        GaugeMetricFamily(
            "navigator_checkin_deliveries", "Sent check-ins by Twilio's last delivery status.", labels=["status"]
        ),
        GaugeMetricFamily(
            "navigator_hazard_reports", "Hazard reports by state: queued for 311, filed, refused.", labels=["state"]
        ),
    )


class ReferralCollector(Collector):
    """navigator_referrals{status}: referrals per status now; navigator_checkins{state} and
    navigator_checkin_deliveries{status}: the check-ins; navigator_hazard_reports{state}: the 311 queue. A few GROUP
    BYs at scrape time."""

    def __init__(self, sessions: Callable[[], Session | None]) -> None:
        self._sessions = sessions

    def describe(self) -> Iterable[Metric]:
        return list(_families())

    def collect(self) -> Iterator[Metric]:
        session = self._sessions()
        if session is None:  # the app has not started (or has stopped): nothing to read
            return
        try:
            with session:
                counts = all_status_counts(session)
                checkins = checkin_state_counts(session)
                deliveries = checkin_delivery_counts(session)
                hazards = hazard_state_counts(session)
        except Exception as exc:  # a scrape must not fail because the database is down
            log.warning("referral counts unavailable: %s", type(exc).__name__)
            return
        referrals, states, delivered, reports = _families()
        for status in sorted(set(REFERRAL_STATUSES) | set(counts)):
            referrals.add_metric([status], counts.get(status, 0))
        for state in sorted(set(CHECKIN_STATES) | set(checkins)):
            states.add_metric([state], checkins.get(state, 0))
        for status in sorted(set(DELIVERY_ORDER) | set(deliveries)):
            delivered.add_metric([status], deliveries.get(status, 0))
        for state in sorted(set(HAZARD_STATES) | set(hazards)):
            reports.add_metric([state], hazards.get(state, 0))
        yield from (referrals, states, delivered, reports)


class ApiMetrics:
    def __init__(self, sessions: Callable[[], Session | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http_requests = Counter(
            "navigator_http_requests",
            "HTTP requests answered, by method, route template and status code.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.http_duration = Histogram(
            "navigator_http_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.searches = Counter(
            "navigator_searches", "Program searches answered, by reply language.", ["lang"], registry=self.registry
        )
        self.searches_without_good_result = Counter(
            "navigator_searches_without_good_result",
            "Searches with no result, or whose first results share no word with the query (found by meaning alone).",
            ["lang"],
            registry=self.registry,
        )
        self.referrals_created = Counter(
            "navigator_referrals_created",
            "Referrals created (a retry of the same Idempotency-Key is not counted), by channel.",
            ["channel"],
            registry=self.registry,
        )
        self.referrals = ReferralCollector(sessions)
        self.registry.register(self.referrals)
        self._terms: dict[str, frozenset[str]] = {}

    # -- recording -------------------------------------------------------------------------------------------

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_requests.labels(method, route, str(status)).inc()
        self.http_duration.labels(method, route).observe(seconds)

    def observe_search(self, text: str, outcome: SearchOutcome) -> None:
        lang = "es" if outcome.lang == "es" else "en"
        self.searches.labels(lang).inc()
        if not self.good_result(text, outcome):
            self.searches_without_good_result.labels(lang).inc()

    def referral_created(self, channel: str) -> None:
        self.referrals_created.labels(channel).inc()

    # -- the "good result" signal --------------------------------------------------------------------------

    def good_result(self, text: str, outcome: SearchOutcome) -> bool:
        """At least one of the first results shares a search term (a stem) with the query or its English expansion.

        Scores cannot tell: they are relative to the best candidate (the first is always 1.0 before distance), and
        dense retrieval always returns neighbours, even for gibberish. A first page where no program contains any of
        the resident's words was found by meaning alone: that is where wrong answers gather, and where the catalog
        or the Spanish lexicon may lack something.
        """
        if not outcome.hits:
            return False
        lang = "es" if outcome.lang == "es" else "en"
        wanted = set(stems(text, lang))
        if outcome.expansion:
            wanted |= set(stems(" ".join(outcome.expansion), "en"))
        return any(wanted & self._program_terms(hit.program) for hit in outcome.hits[:GOOD_RESULT_DEPTH])

    def _program_terms(self, program: Program) -> frozenset[str]:
        """The stems BM25 indexed for the program (English and Spanish text), computed once per program."""
        terms = self._terms.get(program.id)
        if terms is None:
            en, es = document_texts(program, load_taxonomy())
            terms = frozenset(stems(en, "en")) | frozenset(stems(es, "es"))
            self._terms[program.id] = terms
        return terms

    # -- exposition ----------------------------------------------------------------------------------------

    def exposition(self) -> bytes:
        """The text format. In multiprocess mode the counters come from every worker's files."""
        if multiprocess_dir():
            registry = CollectorRegistry()
            MultiProcessCollector(registry)
            registry.register(self.referrals)
            return generate_latest(registry)
        return generate_latest(self.registry)


def get_metrics(request: Request) -> ApiMetrics:
    return request.app.state.metrics


MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]
