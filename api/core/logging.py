"""The api's logs: one JSON object per line (or plain text), each carrying the request id of the request it belongs to.

What a log line may hold is narrow on purpose (survivor confidentiality): a request is logged as its method, its route
*template* (`/api/v1/conversations/{conversation_id}/referrals`, never the concrete path: a conversation id is a keyed
hash of a resident's phone number), status and duration. Never a query string (it carries what residents typed),
never a header, never a body.

The request id comes from an incoming `X-Request-ID` when it is a plain token (64 characters or fewer of
`A-Za-z0-9._-`), else a new uuid4 hex; it is on every line logged while serving the request and in the response's
`X-Request-ID` header, so one id follows a call from the action server or a proxy into the api's logs.
"""

from __future__ import annotations

import logging
import logging.config
import re
import time
import uuid
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter
from starlette.datastructures import MutableHeaders
from starlette.routing import Match

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

    from api.core.metrics import ApiMetrics

log = logging.getLogger("navigator.api.access")

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
request_id_var: ContextVar[str | None] = ContextVar("navigator_request_id", default=None)

UNMATCHED = "<unmatched>"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes every few seconds would drown the log: logged at DEBUG unless they fail.
QUIET_ROUTES = frozenset({"/healthz", "/livez", "/readyz", "/metrics"})


def request_id_from(value: str | None) -> str:
    """The caller's id when it is a plain token, else a new one (an id is never trusted to be safe to log as is)."""
    if value is not None and _REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    return request_id_var.get()


class RequestIdFilter(logging.Filter):
    """Puts the current request id (or None outside a request) on every record the handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(_JsonFormatter):
    """{"ts", "level", "logger", "msg", "request_id", ...fields passed with extra=}: one object per line."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            "{levelname}{name}{message}",
            style="{",
            timestamp="ts",
            rename_fields={"levelname": "level", "name": "logger", "message": "msg"},
            # Uvicorn adds a colored copy of its messages for terminals: noise in a log pipeline.
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
            json_ensure_ascii=False,
            **kwargs,
        )

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        # The time first, as people and log shippers read a line.
        return {"ts": log_data.pop("ts", None), **log_data}


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(log_format: str = "json", level: str = "info") -> dict[str, Any]:
    """A dictConfig for the api's process and uvicorn's loggers (uvicorn applies it in every worker it starts)."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": formatter},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            # Uvicorn's own loggers go through the same handler; its access log stays off (it prints query strings).
            "uvicorn": {"handlers": [], "propagate": True, "level": level.upper()},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": level.upper()},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            # httpx logs every URL it calls at INFO; the web chat relay's is the bot's, but keep the rule simple.
            "httpx": {"level": "WARNING"},
        },
    }


def configure_logging(log_format: str = "json", level: str = "info") -> None:
    logging.config.dictConfig(logging_config(log_format, level))


def route_template(scope: Scope) -> str:
    """The template of the route that served the request, never the concrete path; UNMATCHED when none did."""
    route = scope.get("route")
    if route is None:
        app = scope.get("app")
        for candidate in getattr(app, "routes", ()):
            match, _ = candidate.matches(scope)
            if match is not Match.NONE:  # FULL, or PARTIAL (a 405 on a known route)
                route = candidate
                break
    return getattr(route, "path_format", None) or getattr(route, "path", None) or UNMATCHED


class RequestContext:
    """ASGI middleware: the request id, one access log line and the HTTP metrics for every request.

    Pure ASGI rather than BaseHTTPMiddleware so the request id set here is in the context of the endpoint (sync
    endpoints run in a thread with a copy of it) and streaming responses are timed to their end.
    """

    def __init__(self, app: ASGIApp, metrics: ApiMetrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = request_id_from(incoming)
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            route = route_template(scope)
            if self.metrics is not None:
                self.metrics.observe_request(method, route, status, elapsed)
            level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
            log.log(
                level,
                "%s %s %d %.1fms",
                method,
                route,
                status,
                elapsed * 1000,
                extra={"method": method, "path": route, "status": status, "duration_ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(token)
