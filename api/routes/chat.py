"""The resident web chat's endpoint: POST /api/v1/chat relays one visit's message to the bot's REST channel.

The page talks to its own origin, so the bot stays off the public network and residents' browsers reveal nothing to
it: the bot receives only a sender made from the visit's random session id and the text — no IP address, no user
agent, no header of the resident's request. Nothing here logs what was written or the session id.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Response, status
from pydantic import ValidationError

from api.core.logging import REQUEST_ID_HEADER, current_request_id
from api.dependencies import BotClientDep, ChatLimiterDep, ChatSettingsDep
from api.schemas.chat import ChatRequest, ChatResponse, ProgramsOut, TextOut
from knowledge.language import detect_language

log = logging.getLogger("navigator.api.chat")

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])

NO_STORE = {"Cache-Control": "no-store"}
SAFETY = "In an emergency call 911. For a mental health crisis call or text 988."
UNREACHABLE = f"The assistant cannot be reached right now. Please try again in a few minutes. {SAFETY}"
NO_ANSWER = {
    "en": f"I can't answer that right now. For help finding programs call 211 (24/7) or 311. {SAFETY}",
    "es": "No puedo responder eso ahora. Para encontrar programas llame al 211 (24 horas) o al 311. "
    "En una emergencia llame al 911. En una crisis de salud mental llame o envie un texto al 988.",
}
TOO_SLOW = f"The assistant took too long to answer. Please try again. {SAFETY}"
TOO_MANY = f"Too many messages in a short time from this conversation. Please wait a minute, then try again. {SAFETY}"


def reshape(items: Any) -> list[TextOut | ProgramsOut]:
    """The bot's REST output as the page draws it.

    The action server sends a program list as one utterance carrying both the SMS text and a payload for screens;
    REST returns them as two consecutive items, text then {"custom": {"kind": "programs", ...}}. Cards replace the
    SMS-style list, so the text immediately before a program list is dropped. A payload the page could not draw is
    skipped and its text kept, so the resident still gets the list.
    """
    out: list[TextOut | ProgramsOut] = []
    last_was_text = False
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            last_was_text = False
            continue
        custom = item.get("custom")
        if isinstance(custom, dict) and custom.get("kind") == "programs":
            try:
                programs = ProgramsOut.model_validate({k: v for k, v in custom.items() if k not in {"kind", "type"}})
            except ValidationError:
                log.warning("the bot sent a program list the page cannot draw; its text is shown instead")
                last_was_text = False
                continue
            if last_was_text:
                out.pop()
            out.append(programs)
            last_was_text = False
        elif isinstance(item.get("text"), str) and item["text"].strip():
            out.append(TextOut(text=item["text"]))
            last_was_text = True
        else:
            last_was_text = False  # images, buttons-only or unknown payloads: nothing the page shows
    return out


@router.post(
    "",
    summary="Send the bot one message (or a language switch) from a web chat visit",
    responses={
        400: {"description": "The body is not readable JSON."},
        422: {"description": "Bad session id, or a message that is empty or longer than 1000 characters."},
        429: {"description": "This visit sent too many messages in a short time."},
        503: {"description": "The bot cannot be reached."},
        504: {"description": "The bot did not answer in time."},
    },
)
async def chat(
    body: ChatRequest,
    response: Response,
    settings: ChatSettingsDep,
    bot: BotClientDep,
    limiter: ChatLimiterDep,
) -> ChatResponse:
    response.headers.update(NO_STORE)
    limit = settings.rate_limit
    if not await limiter.hit(limit, "web-chat", body.session):
        stats = await limiter.get_window_stats(limit, "web-chat", body.session)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, TOO_MANY, headers={"Retry-After": str(retry_after), **NO_STORE}
        )
    try:
        reply = await bot.post(
            settings.bot_webhook,
            # Exactly these two fields: nothing from the resident's request (address, browser, headers) goes on.
            json={"sender": f"web-{body.session}", "message": body.bot_message()},
            # This request's id (ours, not the resident's), so a proxy's log in front of the bot can be matched up.
            headers={REQUEST_ID_HEADER: current_request_id() or ""},
            timeout=settings.chat_timeout_s,
        )
        reply.raise_for_status()
        items = reply.json()
    except httpx.TimeoutException as exc:
        log.warning("the bot did not answer within %.0f s", settings.chat_timeout_s)
        raise HTTPException(status.HTTP_504_GATEWAY_TIMEOUT, TOO_SLOW, headers=NO_STORE) from exc
    except (httpx.HTTPError, ValueError) as exc:
        # The exception's type only: its text could carry the URL or the bot's answer.
        log.warning("the bot could not be reached: %s", type(exc).__name__)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, UNREACHABLE, headers=NO_STORE) from exc
    messages = reshape(items)
    if not messages and body.message is not None:
        # Rasa answers nothing when a custom action fails (the action server down): never leave a resident unanswered.
        log.warning("the bot gave no answer")
        messages = [TextOut(text=NO_ANSWER[detect_language(body.message)])]
    return ChatResponse(messages=messages)
