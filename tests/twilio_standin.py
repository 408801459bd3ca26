"""A local stand-in for Twilio's REST API (POST /2010-04-01/Accounts/{sid}/Messages.json), for the SMS channel's late
replies in tests and the load suite. Standard library only: it runs in both environments."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs

from tests.local_server import LocalServer

ACCOUNT_SID = "AC" + "1" * 32


@dataclass(frozen=True)
class Sent:
    to: str
    sender: str
    body: str
    at: float


class TwilioStandIn:
    """`with TwilioStandIn(token) as twilio:` then twilio.url as NAVIGATOR_TWILIO_API_URL; twilio.sent lists what
    arrived with the right account and token. `failures` are statuses answered, in order, before accepting."""

    def __init__(self, auth_token: str, failures: list[int] | None = None) -> None:
        self.auth_token = auth_token
        self.failures = list(failures or [])
        self.sent: list[Sent] = []
        self.refused = 0
        self.lock = threading.Lock()

    def to(self, phone: str) -> list[str]:
        with self.lock:
            return [s.body for s in self.sent if s.to == phone]

    def _answer(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict]:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{self.auth_token}".encode()).decode()
        if handler.path != f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json":
            return 404, {"code": 20404, "message": "not found"}
        if handler.headers.get("Authorization") != expected:
            return 401, {"code": 20003, "message": "Authenticate"}
        form = {
            k: v[0] for k, v in parse_qs(handler.rfile.read(int(handler.headers["Content-Length"])).decode()).items()
        }
        with self.lock:
            if self.failures:
                return self.failures.pop(0), {"code": 20500, "message": "try again"}
            if not (form.get("To") and form.get("From") and form.get("Body")):
                self.refused += 1
                return 400, {"code": 21602, "message": "Message body is required."}
            self.sent.append(Sent(form["To"], form["From"], form["Body"], time.monotonic()))
        return 201, {"sid": "SM" + uuid.uuid4().hex, "status": "queued"}

    def __enter__(self) -> TwilioStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                status, body = standin._answer(self)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:  # quiet: the numbers are in the requests
                pass

        self._server = LocalServer(Handler).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(*exc)
