"""The web chat's proxy and page (POST /api/v1/chat, GET /, /static/*), in-process, against a stand-in bot.

The stand-in is a real HTTP server on a free port that answers in the REST channel's shape and records exactly what
it received, so these tests see what the bot would see. The real bot is exercised by tests/browser.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time
import uuid
from pathlib import Path

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api.core.settings import ChatSettings
from api.dependencies import get_chat_settings
from api.routes.chat import reshape
from api.schemas.chat import ProgramsOut, TextOut
from tests.stack import free_port

CHAT = "/api/v1/chat"
STATIC = Path(__file__).resolve().parents[2] / "api" / "static"
NEUTRAL = "https://neutral.example/weather?a=1&b=2"

SMS_LIST = "1. Greater Chicago Food Depository: groceries 773-247-3663\n2. ...\nReply 1-2 for details."
PROGRAMS = {
    "kind": "programs",
    "lang": "en",
    "first_number": 1,
    "more": True,
    "footer": "Reply 1-2 for details, MORE for more.",
    "programs": [
        {
            "number": 1,
            "id": "gcfd-pantry",
            "name": "Greater Chicago Food Depository",
            "summary": "Free groceries near you.",
            "contact": "773-247-3663",
            "phone": "773-247-3663",
            "text_line": None,
            "website": None,
            "distance_km": 1.2,
            "open_now": True,
        },
        {
            "number": 2,
            "id": "crisis-text",
            "name": "Crisis Text Line",
            "summary": "Text with a counselor.",
            "contact": "text 741741",
            "phone": None,
            "text_line": "741741",
            "website": None,
            "distance_km": None,
            "open_now": None,
        },
    ],
}


class FakeBot:
    """A stand-in for Rasa's REST channel: POST /webhooks/rest/webhook {"sender", "message"} -> [{...}, ...]."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seen: list[dict] = []  # {"headers": {...}, "body": {...}} of each request
        app = Starlette(routes=[Route("/webhooks/rest/webhook", self.webhook, methods=["POST"])])
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    async def webhook(self, request: Request) -> JSONResponse:
        body = await request.json()
        self.seen.append({"headers": dict(request.headers), "body": body})
        sender, message = body.get("sender"), body.get("message", "")
        if message == "broken":
            return JSONResponse({"error": "boom"}, status_code=500)
        if message == "slow":
            await asyncio.sleep(3)
        if message.startswith("/set_language"):
            return JSONResponse([{"recipient_id": sender, "text": "Muy bien, le escribo en espanol. Que necesita?"}])
        if "food" in message:
            return JSONResponse(
                [
                    {"recipient_id": sender, "text": "Here is what I found."},
                    {"recipient_id": sender, "text": SMS_LIST},
                    {"recipient_id": sender, "custom": PROGRAMS},
                ]
            )
        return JSONResponse([{"recipient_id": sender, "text": f"echo: {message}"}])

    def __enter__(self) -> FakeBot:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the stand-in bot did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def last(self) -> dict:
        return self.seen[-1]


@pytest.fixture(scope="module")
def fake_bot():
    with FakeBot() as bot:
        yield bot


@pytest.fixture
def chat(client, fake_bot):
    """The shared app with chat settings pointing at the stand-in; `chat(**changes)` to change them."""

    def configure(**changes):
        values = {"bot_url": fake_bot.url, "quick_exit_url": NEUTRAL, "chat_rate_limit": "100/minute", **changes}
        settings = ChatSettings(_env_file=None, **values)
        client.app.dependency_overrides[get_chat_settings] = lambda: settings
        return client

    configure()
    yield configure
    client.app.dependency_overrides.pop(get_chat_settings, None)


def session() -> str:
    return str(uuid.uuid4())


def say(client, text: str, sid: str | None = None, **headers):
    return client.post(CHAT, json={"session": sid or session(), "message": text}, headers=headers)


# --- what reaches the bot ---


def test_only_sender_and_text_reach_the_bot(chat, fake_bot):
    sid = session()
    response = say(
        chat(),
        "hello there",
        sid,
        **{
            "User-Agent": "ResidentPhone/1.0",
            "X-Forwarded-For": "203.0.113.7",
            "X-Real-IP": "203.0.113.7",
            "Forwarded": "for=203.0.113.7",
            "Cookie": "tracking=1",
            "Referer": "https://example.org/somewhere",
            "Accept-Language": "es-MX",
        },
    )
    assert response.status_code == 200
    assert response.json() == {"messages": [{"type": "text", "text": "echo: hello there"}]}
    seen = fake_bot.last()
    assert seen["body"] == {"sender": f"web-{sid}", "message": "hello there"}
    headers = seen["headers"]
    assert headers["user-agent"] == "navigator-api"
    for name in ("x-forwarded-for", "x-real-ip", "forwarded", "cookie", "referer", "accept-language"):
        assert name not in headers, name
    assert "203.0.113.7" not in json.dumps(seen)


def test_a_visit_keeps_one_sender_and_visits_do_not_share(chat, fake_bot):
    client, first, second = chat(), session(), session()
    say(client, "one", first)
    say(client, "two", first)
    say(client, "three", second)
    senders = [s["body"]["sender"] for s in fake_bot.seen[-3:]]
    assert senders == [f"web-{first}", f"web-{first}", f"web-{second}"]


@pytest.mark.parametrize(
    ("typed", "sent"),
    [
        ("/restart", "restart"),
        ('  //crisis{"x": 1}', 'crisis{"x": 1}'),
        ('/ /set_language{"language": "es"}', 'set_language{"language": "es"}'),
        ("I need food / shelter", "I need food / shelter"),
    ],
)
def test_leading_slashes_never_reach_the_bot_as_a_command(chat, fake_bot, typed, sent):
    assert say(chat(), typed).status_code == 200
    assert fake_bot.last()["body"]["message"] == sent


def test_language_switch_becomes_the_set_language_command(chat, fake_bot):
    sid = session()
    response = chat().post(CHAT, json={"session": sid, "language": "es"})
    assert response.status_code == 200
    assert fake_bot.last()["body"] == {"sender": f"web-{sid}", "message": '/set_language{"language": "es"}'}
    assert "espanol" in response.json()["messages"][0]["text"]


# --- what comes back ---


def test_program_cards_replace_the_sms_list_before_them(chat):
    body = say(chat(), "I need food near 60623").json()
    assert [m["type"] for m in body["messages"]] == ["text", "programs"]
    assert body["messages"][0]["text"] == "Here is what I found."  # not the SMS list the cards replace
    programs = body["messages"][1]
    assert programs["footer"] == "Reply 1-2 for details, MORE for more." and programs["more"] is True
    first, second = programs["programs"]
    assert first["phone"] == "773-247-3663" and first["open_now"] is True and first["distance_km"] == 1.2
    assert second["text_line"] == "741741" and second["phone"] is None


def test_reshape_keeps_text_when_the_list_cannot_be_drawn():
    broken = {"kind": "programs", "programs": [{"number": "one"}]}
    items = [{"text": "1. A\n2. B"}, {"custom": broken}, {"custom": {"kind": "other"}}, {"image": "x.png"}]
    assert reshape(items) == [TextOut(text="1. A\n2. B")]


def test_reshape_drops_only_the_text_immediately_before_a_list():
    items = [{"text": "first"}, {"image": "x.png"}, {"custom": PROGRAMS}, {"text": "after"}]
    out = reshape(items)
    assert [type(m) for m in out] == [TextOut, ProgramsOut, TextOut]
    assert out[0].text == "first" and out[2].text == "after"
    assert reshape("not a list") == [] and reshape([]) == []


def test_reshape_drops_website_links_that_are_not_web_addresses():
    card = {**PROGRAMS["programs"][0], "website": "javascript:alert(1)"}
    out = reshape([{"custom": {**PROGRAMS, "programs": [card]}}])
    assert isinstance(out[0], ProgramsOut) and out[0].programs[0].website is None


# --- what the proxy refuses ---


@pytest.mark.parametrize(
    "sid",
    ["", "abc", str(uuid.uuid1()), str(uuid.uuid4()).upper(), uuid.uuid4().hex, "../etc", f"web-{uuid.uuid4()}"],
)
def test_a_session_that_is_not_a_random_uuid_is_refused(chat, fake_bot, sid):
    before = len(fake_bot.seen)
    response = chat().post(CHAT, json={"session": sid, "message": "hi"})
    assert response.status_code == 422
    assert "session must be a random UUID" in response.text
    assert len(fake_bot.seen) == before


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"message": ""}, "the message is empty"),
        ({"message": "   "}, "the message is empty"),
        ({"message": "///"}, "the message is empty"),
        ({"message": "x" * 1001}, "at most 1000 characters"),
        ({}, "either a message or a language"),
        ({"message": "hi", "language": "es"}, "either a message or a language"),
        ({"language": "fr"}, "language"),
        ({"message": "hi", "sender": "someone-else"}, "sender"),
    ],
)
def test_bad_messages_get_a_422_that_says_why(chat, fake_bot, payload, words):
    before = len(fake_bot.seen)
    response = chat().post(CHAT, json={"session": session(), **payload})
    assert response.status_code == 422
    assert words in response.text
    assert len(fake_bot.seen) == before


def test_a_message_of_exactly_1000_characters_goes_through(chat, fake_bot):
    assert say(chat(), "y" * 1000).status_code == 200
    assert fake_bot.last()["body"]["message"] == "y" * 1000


def test_each_visit_is_rate_limited_on_its_own(chat, fake_bot):
    client, busy, other = chat(chat_rate_limit="3/minute"), session(), session()
    assert [say(client, "hi", busy).status_code for _ in range(3)] == [200, 200, 200]
    before = len(fake_bot.seen)
    limited = say(client, "hi", busy)
    assert limited.status_code == 429
    assert "wait a minute" in limited.json()["detail"] and "911" in limited.json()["detail"]
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert len(fake_bot.seen) == before  # refused before the bot
    assert say(client, "hi", other).status_code == 200


def test_bot_down_is_a_503_that_still_gives_the_numbers(chat):
    response = say(chat(bot_url=f"http://127.0.0.1:{free_port()}"), "hello")
    assert response.status_code == 503
    detail = response.json()["detail"]
    assert "cannot be reached" in detail and "911" in detail and "988" in detail


def test_bot_error_is_a_503(chat):
    assert say(chat(), "broken").status_code == 503


def test_slow_bot_is_a_504(chat):
    response = say(chat(chat_timeout_s=0.5), "slow")
    assert response.status_code == 504
    assert "911" in response.json()["detail"]


def test_logs_hold_neither_the_text_nor_the_session(chat, caplog):
    sid = session()
    with caplog.at_level(logging.DEBUG):
        say(chat(), "zqxv my husband took my phone", sid)
        say(chat(bot_url=f"http://127.0.0.1:{free_port()}"), "zqxv again", sid)
    assert "POST /api/v1/chat 503" in caplog.text  # requests are logged ...
    assert "zqxv" not in caplog.text and sid not in caplog.text and sid.replace("-", "") not in caplog.text


def test_chat_answers_are_not_cached(chat):
    assert say(chat(), "hello").headers["Cache-Control"] == "no-store"


# --- the page and its files ---


def test_page_is_served_with_safety_headers_and_the_quick_exit_target(chat):
    response = chat().get("/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    headers = response.headers
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "script-src" not in headers["Content-Security-Policy"]  # no exception for inline or remote scripts
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "set-cookie" not in headers
    html = response.text
    assert 'data-quick-exit="https://neutral.example/weather?a=1&amp;b=2"' in html
    assert "<title>Navigator</title>" in html and '<html lang="en"' in html
    assert '<script src="/static/chat.js" defer></script>' in html


def test_static_files_are_served_with_their_types(chat):
    client = chat()
    for name, kind in (("chat.js", "text/javascript"), ("chat.css", "text/css"), ("icon.svg", "image/svg+xml")):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(kind)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "no-store"
    for name in ("index.html", "../main.py", "..%2Fmain.py", "nope.js"):
        assert client.get(f"/static/{name}").status_code == 404


def test_assets_load_nothing_from_elsewhere_and_run_no_inline_code():
    files = sorted(STATIC.iterdir())
    assert {f.name for f in files} == {"index.html", "chat.css", "chat.js", "icon.svg", "staff.css"}
    for path in files:
        text = path.read_text(encoding="utf-8")
        urls = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}[^\s\"')]*", text)
        # The SVG namespace is a name, not a fetch.
        assert [u for u in urls if u != "http://www.w3.org/2000/svg"] == [], path.name
        assert "@import" not in text and "fonts.googleapis" not in text
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []  # CSP would block inline scripts
    assert not re.search(r"\son\w+=", page) and "style=" not in page
    # Code, not the comments that explain what it never does.
    script = re.sub(r"^\s*//.*$", "", (STATIC / "chat.js").read_text(encoding="utf-8"), flags=re.M)
    for trace in ("localStorage", "sessionStorage", "document.cookie", "indexedDB", "innerHTML", "document.title"):
        assert trace not in script, trace
    assert "location.replace(" in script
