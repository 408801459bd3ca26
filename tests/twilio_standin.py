"""A local stand-in for Twilio's REST API (POST /2010-04-01/Accounts/{sid}/Messages.json), for the SMS channel's late
replies and the api's check-ins in tests and the load suite, with Twilio's signed delivery status callbacks
(TwilioStandIn.report). Standard library only: it runs in both environments."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import Request, urlopen

from tests.local_server import LocalServer

ACCOUNT_SID = "AC" + "1" * 32


@dataclass(frozen=True)
class Sent:
    to: str
    sender: str
    body: str
    at: float
    sid: str = ""
    status_callback: str = ""


class TwilioStandIn:
    """`with TwilioStandIn(token) as twilio:` then twilio.url as NAVIGATOR_TWILIO_API_URL; twilio.sent lists what
    arrived with the right account and token. `failures` are statuses answered, in order, before accepting."""

    def __init__(self, auth_token: str, failures: list[int] | None = None, opted_out: set[str] | None = None) -> None:
        self.auth_token = auth_token
        self.failures = list(failures or [])
        # Numbers that texted STOP to Twilio itself: refused with error 21610, as Twilio does.
        self.opted_out = set(opted_out or ())
        # Seconds each accepted message takes, to catch a sender in the middle of a batch.
        self.delay_s = 0.0
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
        if self.delay_s:
            time.sleep(self.delay_s)
        with self.lock:
            if self.failures:
                return self.failures.pop(0), {"code": 20500, "message": "try again"}
            if not (form.get("To") and form.get("From") and form.get("Body")):
                self.refused += 1
                return 400, {"code": 21602, "message": "Message body is required."}
            if form["To"] in self.opted_out:
                self.refused += 1
                return 400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}
            sid = "SM" + uuid.uuid4().hex
            self.sent.append(
                Sent(form["To"], form["From"], form["Body"], time.monotonic(), sid, form.get("StatusCallback", ""))
            )
        return 201, {"sid": sid, "status": "queued"}

    def callback(self, message: Sent, status: str, error_code: str | None = None) -> tuple[str, dict, dict]:
        """Twilio's status callback for a message: (path, form, headers), signed as Twilio signs it: HMAC-SHA1 over the
        StatusCallback URL followed by the form's keys and values in key order, keyed with the auth token."""
        form = {"MessageSid": message.sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID,
                "To": message.to, "From": message.sender}  # fmt: skip
        if error_code:
            form["ErrorCode"] = error_code
        signed = message.status_callback + "".join(k + form[k] for k in sorted(form))
        signature = base64.b64encode(hmac.new(self.auth_token.encode(), signed.encode(), hashlib.sha1).digest())
        return urlsplit(message.status_callback).path, form, {"X-Twilio-Signature": signature.decode()}

    def report(self, message: Sent, status: str, *, via: str, error_code: str | None = None) -> int:
        """Post the status callback to `via`, the local address behind the public StatusCallback URL; returns the
        HTTP status the receiver answered."""
        path, form, headers = self.callback(message, status, error_code)
        request = Request(via.rstrip("/") + path, data=urlencode(form).encode(), headers=headers)
        try:
            with urlopen(request, timeout=10) as answer:
                return answer.status
        except HTTPError as refused:
            return refused.code

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
