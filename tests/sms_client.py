"""A fake Twilio for tests and bench/sms.py: webhook requests signed with Twilio's own RequestValidator."""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import httpx
from twilio.request_validator import RequestValidator

from api.core.contact_seal import new_keypair

TOKEN = "test-auth-token-" + uuid.uuid4().hex
SENDER_KEY = "test-sender-key-" + uuid.uuid4().hex
PRIVATE_KEY, PUBLIC_KEY = new_keypair()
PUBLIC_URL = "https://navigator.example.org"  # what Twilio calls; the bot listens elsewhere, behind a proxy
PATH = "/webhooks/twilio_sms/webhook"
# What a Stack needs for the SMS channel to accept these requests.
SMS_ENV = {
    "TWILIO_AUTH_TOKEN": TOKEN,
    "NAVIGATOR_SENDER_ID_KEY": SENDER_KEY,
    "NAVIGATOR_CONTACT_PUBLIC_KEY": PUBLIC_KEY,
    "NAVIGATOR_CONTACT_PRIVATE_KEY": PRIVATE_KEY,
    "NAVIGATOR_PUBLIC_BOT_URL": PUBLIC_URL,
    # The api's public address, over which Twilio signs check-in delivery reports (the same proxy, here).
    "NAVIGATOR_PUBLIC_API_URL": PUBLIC_URL,
}


def sender_id(phone: str) -> str:
    return "sms-" + hmac.new(SENDER_KEY.encode(), phone.encode(), hashlib.sha256).hexdigest()[:40]


def new_phone() -> str:
    return f"+1773555{uuid.uuid4().int % 10000:04d}"


class SmsClient:
    def __init__(self, bot_url: str, workdir: Path, client: httpx.Client | None = None) -> None:
        self.bot_url = bot_url
        self.workdir = workdir
        self.http = client or httpx.Client(timeout=60)

    def post(self, params: dict[str, str], signature: str | None) -> httpx.Response:
        headers = {} if signature is None else {"X-Twilio-Signature": signature}
        return self.http.post(f"{self.bot_url}{PATH}", data=params, headers=headers)

    @staticmethod
    def params(phone: str, body: str, sid: str | None = None) -> dict[str, str]:
        return {
            "MessageSid": sid or f"SM{uuid.uuid4().hex}",
            "AccountSid": "AC" + "0" * 32,
            "From": phone,
            "To": "+13125550000",
            "Body": body,
            "NumMedia": "0",
        }

    @staticmethod
    def sign(params: dict[str, str]) -> str:
        return RequestValidator(TOKEN).compute_signature(PUBLIC_URL + PATH, params)

    def send(self, phone: str, body: str, sid: str | None = None) -> tuple[httpx.Response, list[str]]:
        """A signed message from phone; returns the response and the texts of its <Message>s."""
        params = self.params(phone, body, sid)
        response = self.post(params, self.sign(params))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/xml")
        return response, [m.text or "" for m in ET.fromstring(response.text).iter("Message")]

    def events(self, sender: str) -> list[dict]:
        """The sender's events as stored in the SQLite tracker store."""
        with sqlite3.connect(self.workdir / "tracker.db") as db:
            rows = db.execute("select type_name, data from events where sender_id = ?", (sender,)).fetchall()
        return [{"type": kind, "data": json.loads(data)} for kind, data in rows]
