"""Answers to follow-up check-ins: a bare 1, 2 or 3 that may answer the api's "Did you get the help you needed?" SMS.

A bare digit is also how a resident picks an item from a numbered list, so only the api can tell: it knows whether a
check-in to this sender is waiting for an answer, and when it was sent. The channel asks it, with the time of the
resident's previous message:

    POST {NAVIGATOR_API_URL}/api/v1/checkins/answers
    Authorization: Bearer {NAVIGATOR_SERVICE_TOKEN}
    {"sender_id": "<the channel's keyed hash of the number>", "answer": "1" | "2" | "3",
     "last_message_at": "<ISO 8601 UTC, e.g. 2026-11-26T09:24:17.123456+00:00>" | null}

    200 {"reply": "<text for the resident>"}: the digit answered a check-in sent after last_message_at (or any waiting
        one when null: a sender with no previous message); the api has recorded it.
    404: no such check-in waiting; the digit belongs to the conversation.

Anything else (another status, a malformed 200, a timeout, the api down) is logged by its status or exception type
and treated as 404: the resident still gets an answer from the conversation. Never the sender id, number or text.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

import aiohttp

log = logging.getLogger("navigator.sms")

ANSWERS = frozenset({"1", "2", "3"})
PATH = "/api/v1/checkins/answers"


def iso_utc(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat()


async def answer_checkin(
    *, api_url: str, token: str, sender_id: str, answer: str, last_message_at: float | None, timeout_s: float = 3.0
) -> str | None:
    """The api's reply when `answer` answered a check-in waiting for this sender, else None.

    last_message_at: unix time of the resident's previous message (None if there is none); only a check-in sent after
    it can be what the digit answers.
    """
    payload = {"sender_id": sender_id, "answer": answer, "last_message_at": iso_utc(last_message_at)}
    try:
        # A session per call: check-in answers are rare, and nothing is left open between them.
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s)) as session,
            session.post(
                api_url.rstrip("/") + PATH, json=payload, headers={"Authorization": f"Bearer {token}"}
            ) as response,
        ):
            if response.status == 404:
                return None
            if response.status != 200:
                log.warning("check-in answer not checked: api answered HTTP %d", response.status)
                return None
            body = await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        # The type only: an exception's text may quote the request or the answer.
        log.warning("check-in answer not checked: %s", type(exc).__name__)
        return None
    reply = body.get("reply") if isinstance(body, dict) else None
    if not isinstance(reply, str) or not reply.strip():
        log.warning("check-in answer not checked: api answered 200 without a reply")
        return None
    return reply
