"""The action server's Prometheus counters and its per-action request id.

rasa-sdk 3.6 has no metrics endpoint, and Rasa 3.6 open source none either. The action server counts here:

- navigator_actions_total{action, outcome}: actions run (outcome ok, rejected, not_found, error);
- navigator_action_duration_seconds{action}: how long each took;
- navigator_actions_api_unavailable_total: calls to the api that failed for good (after retries).

Labels are action names (from the domain; an unknown name is "unknown"), never slots or text. They are served by
prometheus-client's own HTTP server on NAVIGATOR_ACTIONS_METRICS_HOST:NAVIGATOR_ACTIONS_METRICS_PORT (default 0:
off), started on the first action call, not at import.

Each action call gets a request id `act-<16 hex>`, which the api client sends as X-Request-ID on every api call it
makes for that action (retries included), so the api's log lines of one action share it.

rasa-sdk imports every module of the `actions` package inside its `create_app`, after creating its Sanic app: that
is when this module attaches two small middleware to that app (nothing is started then). Imported anywhere else
(tests, the referral worker), nothing is attached.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from contextvars import ContextVar
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from pydantic import BaseSettings, Field

log = logging.getLogger("navigator.actions.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)
ACTIONS = Counter(
    "navigator_actions",
    "Actions the action server ran, by action and outcome.",
    ["action", "outcome"],
    registry=REGISTRY,
)
DURATION = Histogram(
    "navigator_action_duration_seconds",
    "Time to run an action (api calls included), by action.",
    ["action"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
    registry=REGISTRY,
)
API_UNAVAILABLE = Counter(
    "navigator_actions_api_unavailable",
    "Calls from the action server to the api that failed after their retries (unreachable, 5xx, timeout).",
    registry=REGISTRY,
)
OUTCOMES = {200: "ok", 400: "rejected", 404: "not_found"}

action_request_id: ContextVar[str | None] = ContextVar("navigator_action_request_id", default=None)


class MetricsSettings(BaseSettings):
    actions_metrics_port: int = Field(0, ge=0, le=65535, description="Port of the metrics endpoint; 0 = off.")
    actions_metrics_host: str = Field("127.0.0.1", description="Interface the metrics endpoint binds to.")

    class Config:
        env_prefix = "NAVIGATOR_"
        env_file = ".env"
        extra = "ignore"


def new_request_id() -> str:
    return f"act-{uuid.uuid4().hex[:16]}"


def current_request_id() -> str:
    """The running action's id; outside an action (the referral worker's thread), a new one."""
    return action_request_id.get() or new_request_id()


def api_unavailable() -> None:
    API_UNAVAILABLE.inc()


_server_lock = threading.Lock()
_server_started = False


def ensure_server(settings: MetricsSettings | None = None) -> bool:
    """Start the metrics endpoint once, if a port is set; a port in use is logged, never fatal to the actions."""
    global _server_started
    if _server_started:
        return True
    with _server_lock:
        if _server_started:
            return True
        settings = settings or MetricsSettings()
        if not settings.actions_metrics_port:
            return False
        try:
            start_http_server(settings.actions_metrics_port, addr=settings.actions_metrics_host, registry=REGISTRY)
        except OSError as exc:
            log.warning("metrics endpoint not started on port %d: %s", settings.actions_metrics_port, exc.strerror)
            _server_started = True  # do not retry on every action
            return False
        log.info("metrics on http://%s:%d/metrics", settings.actions_metrics_host, settings.actions_metrics_port)
        _server_started = True
        return True


def _action_name(request: Any) -> str:
    try:
        name = (request.json or {}).get("next_action")
    except Exception:  # a body that is not JSON: rasa-sdk answers it; the count needs no name
        return "unknown"
    return name[:64] if isinstance(name, str) and name else "unknown"


async def _before(request: Any) -> None:
    if request.path != "/webhook":
        return
    ensure_server()
    request.ctx.navigator_started = time.perf_counter()
    request.ctx.navigator_action = _action_name(request)
    # Request middleware and the handler run in one task: the action (and its api client) sees this id.
    action_request_id.set(new_request_id())
    log.info("action %s started [request %s]", request.ctx.navigator_action, action_request_id.get())


async def _after(request: Any, response: Any) -> None:
    started = getattr(request.ctx, "navigator_started", None)
    if started is None:
        return
    outcome = OUTCOMES.get(response.status, "error")
    # A name rasa-sdk does not know is not a label: anyone who can reach the port could invent names.
    action = request.ctx.navigator_action if outcome != "not_found" else "unknown"
    ACTIONS.labels(action, outcome).inc()
    DURATION.labels(action).observe(time.perf_counter() - started)


def attach(app: Any) -> None:
    """Count every action call of rasa-sdk's Sanic app (its /webhook route)."""
    app.register_middleware(_before, "request")
    app.register_middleware(_after, "response")


def _attach_to_action_server() -> None:
    try:
        from sanic import Sanic

        app = Sanic.get_app("rasa_sdk")
    except Exception:  # no action server in this process
        return
    if not getattr(app.ctx, "navigator_metrics", False):
        attach(app)
        app.ctx.navigator_metrics = True


_attach_to_action_server()
