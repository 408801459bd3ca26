"""Replies that miss Twilio's webhook timeout go out through Twilio's REST API (POST .../Messages.json).

Twilio waits 15 s for a webhook's TwiML; under a burst the bot can take longer. The connector then answers the webhook
with empty TwiML and sends the reply here when it is ready, From the number the resident wrote To. Nothing is logged
but the outcome: never the number or the text.
"""

from __future__ import annotations

import logging

import aiohttp
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

log = logging.getLogger("navigator.sms")


class TwilioUnavailable(Exception):
    """Twilio answered 429 or 5xx, or did not answer: worth trying again."""


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
            try:
                async for attempt in AsyncRetrying(
                    stop=stop_after_attempt(self.attempts),
                    wait=wait_exponential(multiplier=0.5, max=8),
                    retry=retry_if_exception_type(TwilioUnavailable),
                    reraise=True,
                ):
                    with attempt:
                        accepted = await self._post(to=to, sender=sender, body=body)
            except TwilioUnavailable:
                log.error("SMS reply not sent: Twilio unavailable after %d attempts", self.attempts)
                return sent
            if not accepted:
                return sent
            sent += 1
        return sent

    async def _post(self, *, to: str, sender: str, body: str) -> bool:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        try:
            async with self._session.post(
                self.url, data={"To": to, "From": sender, "Body": body}, auth=self.auth
            ) as answer:
                if answer.status == 429 or answer.status >= 500:
                    raise TwilioUnavailable(str(answer.status))
                if answer.status >= 400:
                    # Twilio's error code says why (21610: the number opted out); it names no one.
                    code = (await answer.json(content_type=None) or {}).get("code")
                    log.warning("SMS reply refused by Twilio: HTTP %d, code %s", answer.status, code)
                    return False
                return True
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TwilioUnavailable(type(exc).__name__) from exc
