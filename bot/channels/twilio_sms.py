"""The Twilio SMS channel (`twilio_sms`): signed webhooks in, TwiML replies out, opt-out keywords, no clear numbers.

Rasa's own Twilio channel does not check Twilio's signature, sends each reply with a blocking API call and knows
nothing of opt-outs or message length. Here the replies go back in the webhook's own response as TwiML, so no
outbound call is needed. Under a burst, a reply that is not ready within NAVIGATOR_SMS_REPLY_DEADLINE_S (below
Twilio's 15 s timeout) goes out through Twilio's REST API instead (bot/channels/twilio_rest.py), when
TWILIO_ACCOUNT_SID is set. At most NAVIGATOR_SMS_CONCURRENCY messages are worked on at once, in arrival order.

A bare 1, 2 or 3 may answer the api's follow-up check-in SMS rather than pick an item from a list the bot sent. When
NAVIGATOR_SERVICE_TOKEN is set, the channel asks the api (bot/channels/checkin_answers.py) with the time of the
resident's previous message; if a check-in sent after it was waiting, the api's reply is the answer and the message
never reaches the conversation. Otherwise, or when the api cannot say, the digit goes to the conversation.

A picture texted to Navigator (an MMS: NumMedia, MediaUrl0, MediaContentType0 image/*) reaches the conversation as the
message's `media_url` metadata, beside the sealed number, so a hazard report can send it to 311; a picture with no
words is a message too.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import UserUttered
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy import func
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.channels.checkin_answers import ANSWERS, answer_checkin
from bot.channels.erase import erase_conversation
from bot.channels.metrics import SmsMetrics
from bot.channels.privacy import seal, sender_id
from bot.channels.settings import SmsSettings, get_settings
from bot.channels.sms_state import SmsState
from bot.channels.twilio_rest import TwilioRest
from knowledge.language import detect_language
from knowledge.sms import split_sms

# Never the number, the text or the sender id: only what happened.
log = logging.getLogger("navigator.sms")

# Twilio's own opt-out keywords; it answers STOP and START itself, so we stay silent for them.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
START_WORDS = {"START", "UNSTOP"}
HELP_WORDS = {"HELP": "en", "INFO": "en", "AYUDA": "es"}
DELETE_WORDS = {"DELETE": "en", "BORRAR": "es"}
# A resident's message is at most 1,600 characters (Twilio's limit); anything longer is not a text from a phone.
MAX_BODY = 1600
# Twilio's form (the text, up to ten media URLs, a few dozen short fields) is a few KB; more is not Twilio.
MAX_REQUEST_BYTES = 64 * 1024
# Asking the api about a check-in answer delays the resident's message and runs down Twilio's 15 s webhook timeout.
CHECKIN_TIMEOUT_S = 3.0

TEXTS = {
    "help": {
        "en": "Emergency 911. Crisis 988. DV hotline 877-863-6338. Navigator (City of Chicago) finds programs: "
        "food, housing, jobs, health, legal help. Text your need and ZIP. STOP to stop, DELETE to erase this chat.",
        "es": "Emergencia 911. Crisis 988. Violencia domestica 877-863-6338. Navigator (Ciudad de Chicago) encuentra "
        "programas: comida, vivienda, empleo, salud, ayuda legal. Envie su necesidad y codigo postal. STOP para "
        "parar, BORRAR para borrar este chat.",
    },
    "deleted": {
        "en": "Done: Navigator has erased this conversation. The texts stay on your phone; delete them there too if "
        "someone may read it. Text us anytime to start again.",
        "es": "Listo: Navigator borro esta conversacion. Los mensajes siguen en su telefono; borrelos alli tambien si "
        "alguien puede leerlo. Escribanos cuando quiera para empezar de nuevo.",
    },
    "failed": {
        "en": "Sorry, something went wrong. Emergency 911. Crisis 988. Programs: call 211 or 311. Please text again "
        "in a minute.",
        "es": "Perdon, algo fallo. Emergencia 911. Crisis 988. Programas: llame al 211 o al 311. Escriba de nuevo en "
        "un minuto.",
    },
}


def keyword(body: str) -> str | None:
    """STOP, stop, ' Stop. ' -> 'STOP'; anything of more than one word is a message, not a keyword."""
    word = body.strip().strip(".!¡").strip()
    return word.upper() if word and word.isalpha() else None


def twilio_form(request: Request) -> dict[str, str]:
    """The webhook's fields as Twilio signed them, blank ones included: an MMS with a photo and no text has Body=""
    (and FromCity= and the like are often blank), and Sanic's request.form leaves blank fields out, which would
    break the signature."""
    if (request.content_type or "").split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        fields = parse_qs((request.body or b"").decode("utf-8", "replace"), keep_blank_values=True)
    else:
        fields = dict(request.form.items())
    return {key: values[0] for key, values in fields.items()}


def photo_url(form: dict[str, str]) -> str | None:
    """The first attachment of an MMS when it is a picture (a resident's photo of a hazard, for 311); audio, video and
    contact cards are not passed on, nor anything that is not https (311 takes nothing else)."""
    try:
        count = int(form.get("NumMedia") or 0)
    except ValueError:
        return None
    url = form.get("MediaUrl0") or ""
    if count < 1 or not (form.get("MediaContentType0") or "").lower().startswith("image/"):
        return None
    return url if url.startswith("https://") else None


def twiml(messages: list[str]) -> HTTPResponse:
    reply = MessagingResponse()
    for text in messages:
        for part in split_sms(text):
            reply.message(part)
    return response.text(str(reply), content_type="text/xml")


async def last_message_at(agent: Any, sender: str) -> float | None:
    """Unix time of the resident's latest message in this conversation; None for a sender the bot has not seen."""
    store = getattr(agent, "tracker_store", None)
    inner = store
    while hasattr(inner, "_tracker_store"):  # Rasa's awaitable and fail-safe wrappers
        inner = inner._tracker_store
    if isinstance(inner, SQLTrackerStore):
        # One indexed MAX() instead of loading and replaying the whole conversation: under a burst, a bare digit is
        # common (picking from a list) and a full tracker load for each held up every other message.
        return await asyncio.to_thread(_latest_user_event, inner, sender)
    tracker = await store.retrieve(sender) if store is not None else None
    if tracker is None:
        return None
    # Every event, not the applied ones: a message a fallback reverted was still sent by the resident.
    return next((event.timestamp for event in reversed(tracker.events) if isinstance(event, UserUttered)), None)


def _latest_user_event(store: SQLTrackerStore, sender: str) -> float | None:
    event = store.SQLEvent
    with store.session_scope() as session:
        return (
            session.query(func.max(event.timestamp))
            .filter(event.sender_id == sender, event.type_name == UserUttered.type_name)
            .scalar()
        )


def bot_texts(collected: list[dict[str, Any]]) -> list[str]:
    """What the bot said, as text: buttons become numbered lines, screen-only payloads (cards) are left out."""
    texts = []
    for message in collected:
        text = message.get("text") or ""
        buttons = message.get("buttons") or []
        if buttons:
            text = "\n".join([text, *(f"{i}. {b.get('title', '')}" for i, b in enumerate(buttons, 1))])
        if text.strip():
            texts.append(text)
    return texts


class TwilioSmsInput(InputChannel):
    @classmethod
    def name(cls) -> str:
        return "twilio_sms"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TwilioSmsInput:
        # Secrets come from the environment or .env (SmsSettings), never from credentials.yml in the repository.
        return cls(get_settings())

    def __init__(self, settings: SmsSettings) -> None:
        self.settings = settings
        self._state: SmsState | None = None
        self._slots: asyncio.Semaphore | None = None
        token = settings.twilio_auth_token.get_secret_value()
        sid = settings.twilio_account_sid
        self.rest = TwilioRest(settings.twilio_api_url, sid, token) if sid else None
        # Late replies being sent: referenced so the event loop does not drop them half-way.
        self._late: set[asyncio.Task[None]] = set()
        self.metrics = SmsMetrics()
        self.checkin_timeout_s = CHECKIN_TIMEOUT_S

    @property
    def state(self) -> SmsState:
        # Opened on first use, not at import or construction: Rasa builds channels before its server starts.
        if self._state is None:
            self._state = SmsState(self.settings.sms_state_url)
        return self._state

    @property
    def slots(self) -> asyncio.Semaphore:
        # Made on first use, inside the server's event loop.
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.sms_concurrency)
        return self._slots

    def _configured(self) -> str | None:
        if not self.settings.twilio_auth_token.get_secret_value():
            return "TWILIO_AUTH_TOKEN is not set"
        if not self.settings.sender_id_key.get_secret_value():
            return "NAVIGATOR_SENDER_ID_KEY is not set"
        return None

    def _signed(self, url: str, form: dict[str, str], signature: str) -> bool:
        if not signature:
            return False
        validator = RequestValidator(self.settings.twilio_auth_token.get_secret_value())
        return bool(validator.validate(url, form, signature))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        sms = Blueprint("twilio_sms_webhook", __name__)
        problem = self._configured()
        if problem:
            log.warning("SMS channel refuses every message until configured: %s", problem)
        elif self.rest is None:
            log.warning("TWILIO_ACCOUNT_SID is not set: a reply slower than Twilio's 15 s timeout will be lost")
        self.metrics.serve(self.settings.bot_metrics_host, self.settings.bot_metrics_port)

        @sms.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self._configured() is None else "not configured"})

        @sms.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if len(request.body or b"") > MAX_REQUEST_BYTES:
                self.metrics.count("bad_request")
                return response.text("request too large for a Twilio webhook", status=413)
            url = self.settings.public_bot_url.rstrip("/") + request.path
            if request.query_string:
                url += f"?{request.query_string}"
            return await self.process(
                url=url,
                form=twilio_form(request),
                signature=request.headers.get("X-Twilio-Signature", ""),
                agent=request.app.ctx.agent,
                on_new_message=on_new_message,
            )

        return sms

    async def process(
        self,
        *,
        url: str,
        form: dict[str, str],
        signature: str,
        agent: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        """One webhook call: url as Twilio signed it, its form fields, the X-Twilio-Signature header."""
        # Twilio's 15 s run from here: the reply deadline counts every wait after this, the checks' threads included.
        arrived = time.monotonic()
        problem = self._configured()
        if problem:
            self.metrics.count("not_configured")
            return response.text(f"SMS channel not configured: {problem}", status=503)
        if not self._signed(url, form, signature):
            log.warning("refused an SMS webhook without a valid Twilio signature")
            self.metrics.count("refused_signature")
            return response.text("invalid or missing X-Twilio-Signature", status=403)
        phone = form.get("From") or ""
        message_sid = form.get("MessageSid") or form.get("SmsSid") or ""
        body = form.get("Body") or ""
        if not phone or not message_sid:
            self.metrics.count("bad_request")
            return response.text("From and MessageSid are required", status=400)
        if len(body) > MAX_BODY:
            self.metrics.count("bad_request")
            return response.text(f"Body longer than Twilio's {MAX_BODY} characters", status=400)
        if not await asyncio.to_thread(self.state.claim, message_sid):
            log.info("SMS retry of a handled message ignored")
            self.metrics.count("duplicate")
            return twiml([])
        try:
            return await self._handle(
                agent, on_new_message, phone, form.get("To") or "", body, photo_url(form), arrived=arrived
            )
        except Exception as exc:
            # Twilio's retry of this MessageSid may then succeed; the resident gets the crisis numbers now.
            await asyncio.to_thread(self.state.release, message_sid)
            # The type only: a traceback or an exception's text may quote the message.
            log.error("SMS message failed: %s", type(exc).__name__)
            self.metrics.count("failed")
            return twiml([TEXTS["failed"][detect_language(body)]])

    async def _handle(
        self,
        agent: Any,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        phone: str,
        ours: str,
        body: str,
        photo: str | None = None,
        *,
        arrived: float | None = None,
    ) -> HTTPResponse:
        arrived = time.monotonic() if arrived is None else arrived
        sender = sender_id(phone, self.settings.sender_id_key.get_secret_value())
        word = keyword(body)
        if word in STOP_WORDS:
            await asyncio.to_thread(self.state.set_opted_out, sender, True)
            log.info("SMS opt-out recorded")
            self.metrics.count("opt_out")
            return twiml([])
        if word in START_WORDS:
            await asyncio.to_thread(self.state.set_opted_out, sender, False)
            log.info("SMS opt-in recorded")
            self.metrics.count("opt_in")
            return twiml([])
        if await asyncio.to_thread(self.state.is_opted_out, sender):
            # Twilio would refuse to deliver any reply; the message is not processed either.
            self.metrics.count("opted_out")
            return twiml([])
        token = self.settings.service_token.get_secret_value()
        if token and body.strip() in ANSWERS:
            reply = await answer_checkin(
                api_url=self.settings.api_url,
                token=token,
                sender_id=sender,
                answer=body.strip(),
                last_message_at=await last_message_at(agent, sender),
                timeout_s=self.checkin_timeout_s,
            )
            if reply is not None:
                log.info("SMS check-in answer recorded")
                self.metrics.count("checkin_answer")
                return twiml([reply])
        if word in HELP_WORDS:
            self.metrics.count("help")
            return twiml([TEXTS["help"][HELP_WORDS[word]]])
        if word in DELETE_WORDS:
            await erase_conversation(agent, sender)
            log.info("SMS conversation erased on request")
            self.metrics.count("delete")
            return twiml([TEXTS["deleted"][DELETE_WORDS[word]]])

        metadata: dict[str, Any] = {}
        if self.settings.contact_public_key:
            metadata["sealed_contact"] = seal(phone, self.settings.contact_public_key)
        if photo:
            # A photo may come alone (no Body): it still reaches the conversation, which adds it to a hazard report.
            metadata["media_url"] = photo
        output = CollectingOutputChannel()
        message = UserMessage(body, output, sender, input_channel=self.name(), metadata=metadata or None)
        work = asyncio.ensure_future(self._converse(on_new_message, message, output))
        if self.rest is None or not ours:
            texts = await work
        else:
            try:
                # The deadline is counted from the webhook's arrival: under a burst, the claim, the opt-out check and a
                # check-in lookup wait for threads and the api too, and Twilio's clock was running all along.
                left = self.settings.sms_reply_deadline_s - (time.monotonic() - arrived)
                texts = await asyncio.wait_for(asyncio.shield(work), max(left, 0.1))
            except asyncio.TimeoutError:
                late = asyncio.ensure_future(self._reply_late(work, to=phone, sender=ours, body=body))
                self._late.add(late)
                late.add_done_callback(self._late.discard)
                log.info("SMS reply late: it will go through Twilio's REST API")
                self.metrics.count("answered_late")
                return twiml([])
        self.metrics.count("answered_inline")
        return twiml(texts)

    async def _converse(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        message: UserMessage,
        output: CollectingOutputChannel,
    ) -> list[str]:
        started = time.monotonic()
        with self.metrics.waiting.track_inprogress():
            await self.slots.acquire()
        try:
            with self.metrics.working.track_inprogress():
                await on_new_message(message)
        finally:
            self.slots.release()
        self.metrics.reply_seconds.observe(time.monotonic() - started)
        texts = bot_texts(output.messages)
        if not texts:
            # Rasa answers nothing when a custom action fails (the action server down): never leave a resident
            # without a reply, and never without the crisis numbers.
            log.warning("the bot gave no answer")
            texts = [TEXTS["failed"][detect_language(message.text or "")]]
        return texts

    async def _reply_late(self, work: asyncio.Future[list[str]], *, to: str, sender: str, body: str) -> None:
        try:
            texts = await work
        except Exception as exc:
            log.error("SMS message failed: %s", type(exc).__name__)
            texts = [TEXTS["failed"][detect_language(body)]]
        assert self.rest is not None
        parts = [part for text in texts for part in split_sms(text)]
        sent = await self.rest.send(to=to, sender=sender, parts=parts)
        self.metrics.late_parts.labels("sent").inc(sent)
        self.metrics.late_parts.labels("not_sent").inc(len(parts) - sent)
        log.info("SMS late reply: %d of %d parts sent", sent, len(parts))
