"""Messages Navigator starts go out through Twilio's REST API (POST .../Messages.json).

Twilio waits 15 s for a webhook's TwiML; under a burst the bot can take longer. The connector then answers the webhook
with empty TwiML and sends the reply here when it is ready, From the number the resident wrote To. The api's check-in
scheduler (api/checkins.py) sends its check-ins here too. Nothing is logged but the outcome: never the number or the
text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

log = logging.getLogger("navigator.sms")


class TwilioUnavailable(Exception):
    """Twilio answered 429 or 5xx, or did not answer: worth trying again."""


@dataclass(frozen=True)
class Outcome:
    """Twilio's answer to one message: its SID when accepted, else the error code of the refusal (21610: the number
    opted out), or neither when Twilio could not be reached."""

    sid: str | None = None
    refused_code: int | None = None

    @property
    def accepted(self) -> bool:
        return self.sid is not None


class TwilioRest:
    def __init__(self, base_url: str, account_sid: str, auth_token: str, *, attempts: int = 4) -> None:
        self.url = f"{base_url.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"
        self.auth = aiohttp.BasicAuth(account_sid, auth_token)
        self.attempts = attempts
        self._session: aiohttp.ClientSession | None = None

    async def send(self, *, to: str, sender: str, parts: list[str]) -> int:
        """Send each part in order; returns how many Twilio accepted (a refused one, 4xx, is not retried)."""
        sent = 0
        for body in parts:
            if not (await self.send_one(to=to, sender=sender, body=body)).accepted:
                return sent
            sent += 1
        return sent

    async def send_one(self, *, to: str, sender: str, body: str, status_callback: str = "") -> Outcome:
        """One message, retried while Twilio is unavailable; status_callback asks Twilio to post its delivery."""
        data = {"To": to, "From": sender, "Body": body}
        if status_callback:
            data["StatusCallback"] = status_callback
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=0.5, max=8),
                retry=retry_if_exception_type(TwilioUnavailable),
                reraise=True,
            ):
                with attempt:
                    return await self._post(data)
        except TwilioUnavailable:
            log.error("SMS not sent: Twilio unavailable after %d attempts", self.attempts)
        return Outcome()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, data: dict[str, str]) -> Outcome:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        try:
            async with self._session.post(self.url, data=data, auth=self.auth) as answer:
                if answer.status == 429 or answer.status >= 500:
                    raise TwilioUnavailable(str(answer.status))
                try:
                    found = await answer.json(content_type=None) or {}
                except ValueError:  # accepted or not, the status says; a body that is not JSON must not resend
                    found = {}
                if answer.status >= 400:
                    # Twilio's error code says why (21610: the number opted out); it names no one.
                    log.warning("SMS refused by Twilio: HTTP %d, code %s", answer.status, found.get("code"))
                    return Outcome(refused_code=found.get("code"))
                return Outcome(sid=str(found.get("sid") or ""))
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TwilioUnavailable(type(exc).__name__) from exc
