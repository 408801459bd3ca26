"""A local stand-in for a city's Open311 GeoReport v2 endpoint (JSON), as Chicago's 311 speaks it, for the hazard
report tests: GET services.json, POST requests.json, GET requests/{id}.json, GET requests.json. Standard library only.

`with Open311StandIn(api_key) as city:` then city.url as NAVIGATOR_OPEN311_URL; city.received lists the requests
filed (form fields as posted). `city.down = True` refuses with 503, as a city endpoint in maintenance does;
`city.slow_s` answers a POST that many seconds late (after filing it), as a client that times out sees.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.local_server import LocalServer

SERVICES = [
    {"service_code": "4fd3b167e750846744000005", "service_name": "Street Light Out", "group": "Lights",
     "type": "realtime", "metadata": False, "keywords": "light", "description": "A street light is out."},
    {"service_code": "4fd3b9bce750846c5300004a", "service_name": "Alley Light Out", "group": "Lights",
     "type": "realtime", "metadata": False, "keywords": "alley", "description": "An alley light is out."},
    {"service_code": "4fd3b656e750846c53000004", "service_name": "Graffiti Removal", "group": "Streets",
     "type": "realtime", "metadata": False, "keywords": "graffiti", "description": "Graffiti to remove."},
    {"service_code": "4ffa995a6018277d4000007b", "service_name": "Vacant Lot", "group": "Buildings",
     "type": "realtime", "metadata": False, "keywords": "lot", "description": "A vacant lot to clean."},
    {"service_code": "4ffa9cad6018277d400000c8", "service_name": "Vacant/Abandoned Building", "group": "Buildings",
     "type": "realtime", "metadata": False, "keywords": "building", "description": "An open vacant building."},
    {"service_code": "5a9f2b1c6018270c7d000001", "service_name": "Other Safety Concern", "group": "Safety",
     "type": "realtime", "metadata": False, "keywords": "safety", "description": "Another safety concern."},
]  # fmt: skip


class Open311StandIn:
    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.down = False
        self.slow_s = 0.0
        self.received: list[dict[str, str]] = []
        self.requests: dict[str, dict] = {}
        self.lock = threading.Lock()
        self._next = 1000
        # The city's numbers are unique for good; each stand-in's differ from the last one's too.
        self._prefix = "SR" + uuid.uuid4().hex[:6].upper()

    def close(self, request_id: str, notes: str = "Completed") -> None:
        """The city closes a request, as its crews do."""
        with self.lock:
            self.requests[request_id].update(status="closed", status_notes=notes, updated_datetime=_now())

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> tuple[int, object]:
        if self.down:
            return 503, [{"code": 503, "description": "Service temporarily unavailable"}]
        url = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        path = url.path.rstrip("/")
        if method == "GET" and path == "/services.json":
            return 200, SERVICES
        if method == "GET" and path.startswith("/requests/") and path.endswith(".json"):
            found = self.requests.get(path.removeprefix("/requests/").removesuffix(".json"))
            return (200, [found]) if found else (404, [{"code": 404, "description": "Request not found"}])
        if method == "GET" and path == "/requests.json":
            with self.lock:
                rows = [r for r in self.requests.values()
                        if query.get("service_code") in (None, r["service_code"])
                        and query.get("start_date", "") <= r["requested_datetime"]]  # fmt: skip
            return 200, rows
        if method == "POST" and path == "/requests.json":
            length = int(handler.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(handler.rfile.read(length).decode()).items()}
            if form.get("api_key") != self.api_key:
                return 403, [{"code": 403, "description": "Invalid api_key"}]
            if form.get("service_code") not in {s["service_code"] for s in SERVICES}:
                return 400, [{"code": 400, "description": "Invalid service_code"}]
            if not (form.get("address_string") or (form.get("lat") and form.get("long"))):
                return 400, [{"code": 400, "description": "A location is required"}]
            with self.lock:
                self._next += 1
                request_id = f"{self._prefix}-{self._next:08d}"
                self.received.append(form)
                self.requests[request_id] = {
                    "service_request_id": request_id, "status": "open", "status_notes": None,
                    "service_code": form["service_code"],
                    "service_name": next(s["service_name"] for s in SERVICES
                                         if s["service_code"] == form["service_code"]),
                    "description": form.get("description", ""), "address": form.get("address_string"),
                    "lat": form.get("lat"), "long": form.get("long"), "media_url": form.get("media_url"),
                    "requested_datetime": _now(), "updated_datetime": _now(),
                }  # fmt: skip
            if self.slow_s:
                time.sleep(self.slow_s)
            return 201, [{"service_request_id": request_id, "service_notice": "", "account_id": None}]
        return 404, [{"code": 404, "description": "Not found"}]

    def __enter__(self) -> Open311StandIn:
        city = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, method: str) -> None:
                status, body = city._answer(self, method)
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (city.slow_s): the request stays filed, as in a real city

            def do_GET(self) -> None:
                self._reply("GET")

            def do_POST(self) -> None:
                self._reply("POST")

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self._server = LocalServer(Handler).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(*exc)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
