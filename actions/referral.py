"""Warm referrals: the resident asks to be connected, says how and when it is safe to reach them, and agrees to an
exact consent text with YES / SI. Only then is the referral queued and sent to the api (actions/referral_outbox.py);
STATUS reports where it stands and CANCEL REFERRAL withdraws it (the api closes it and erases the contact).

The number: on SMS the connector seals the sender's number into each message's metadata; a typed number (web chat, or
"another number") is sealed here at once, so only the api can read it and the slot never holds it in clear.
"""

from __future__ import annotations

import asyncio
import logging
import re
import unicodedata
import uuid
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api_client import ApiUnavailable, NavigatorApi, ReferralReceipt, ReferralRejected
from actions.formatting import localized
from actions.referral_outbox import CREATE, WITHDRAW, Outbox, ensure_worker
from actions.search import api, language
from actions.settings import get_settings
from bot.channels.privacy import seal
from knowledge.sms import to_gsm7

log = logging.getLogger(__name__)

SMS_CHANNEL = "twilio_sms"
FORM_SLOTS = (
    "referral_need",
    "referral_name",
    "referral_contact_method",
    "referral_contact",
    "referral_safety",
    "referral_voicemail",
    "referral_safe_times",
    "referral_language",
    "referral_consent",
    "referral_consent_text",
    "referral_consent_at",
    "referral_programs",
    "referral_needs",
    "referral_area",
)
SKIPPED = "-"  # a question the resident chose not to answer (a slot must be filled for the form to move on)
ABORT = {"cancel", "cancelar", "quit", "salir", "never mind", "nevermind", "olvidalo", "cancel referral"}
YES = {"yes", "si"}
METHOD_WORDS = {
    **dict.fromkeys(("text", "texto", "mensaje"), "text"),
    **dict.fromkeys(("call", "llamada", "llamar"), "call"),
    **dict.fromkeys(("another", "other", "otro"), "other_number"),
    **dict.fromkeys(("myself", "self", "yo"), "self"),
}
NO = {"no", "nope", "nah"}

TEXT: dict[str, dict[str, str]] = {
    "intro": {
        "en": "I can ask CSCC outreach (City of Chicago) to contact you and help you get connected. A staff member "
        "will text or call you within {days} business days. Only CSCC outreach staff see what you share "
        "(name, number, need, area); it is kept up to {retention} days after your case closes. Text CANCEL "
        "REFERRAL any time to stop. A few questions first (reply CANCEL to quit).",
        "es": "Puedo pedir que el equipo de alcance de CSCC (Ciudad de Chicago) le contacte y le ayude a conectarse. "
        "Una persona le escribira o llamara en {days} dias habiles. Solo el personal de CSCC ve lo que comparta "
        "(nombre, numero, necesidad, zona); se guarda hasta {retention} dias despues de cerrar su caso. Escriba "
        "CANCELAR REFERIDO cuando quiera. Primero unas preguntas (CANCELAR para salir).",
    },
    "ask_method_sms": {
        "en": "How should they reach you? Reply 1 text this number, 2 call this number, 3 another number, "
        "4 I will call the program myself.",
        "es": "Como deben contactarle? Responda 1 texto a este numero, 2 llamada a este numero, 3 otro numero, "
        "4 yo llamo al programa.",
    },
    "ask_method_web": {
        "en": "How should they reach you? Reply 1 by text, 2 by phone call, 3 I will call the program myself.",
        "es": "Como deben contactarle? Responda 1 por texto, 2 por llamada, 3 yo llamo al programa.",
    },
    "bad_method_sms": {"en": "Reply 1, 2, 3 or 4.", "es": "Responda 1, 2, 3 o 4."},
    "bad_method_web": {"en": "Reply 1, 2 or 3.", "es": "Responda 1, 2 o 3."},
    "bad_name": {
        "en": "Just a first name or nickname, or SKIP.",
        "es": "Solo un nombre o apodo, o NO.",
    },
    "bad_number": {
        "en": "That doesn't look like a US phone number. Send 10 digits, like 773 555 0100.",
        "es": "Ese no parece un numero de EE.UU. Envie 10 digitos, como 773 555 0100.",
    },
    "bad_safety": {"en": "Reply 1, 2, 3 or 4.", "es": "Responda 1, 2, 3 o 4."},
    "bad_yes_no": {"en": "Reply YES or NO.", "es": "Responda SI o NO."},
    "bad_language": {"en": "Reply 1 English or 2 Espanol.", "es": "Responda 1 English o 2 Espanol."},
    "consent": {
        "en": "Please confirm: CSCC outreach staff (City of Chicago) will {how} {target} within {days} business "
        "days{when}{voicemail}, about: {need}{programs}. They will see your {shared}. It is kept up to {retention} "
        "days after your case closes. Text CANCEL REFERRAL any time to stop. Reply YES to agree or NO.",
        "es": "Confirme: el personal de alcance de CSCC (Ciudad de Chicago) le va a {how} {target} en {days} dias "
        "habiles{when}{voicemail}, sobre: {need}{programs}. Veran su {shared}. Se guarda hasta {retention} dias "
        "despues de cerrar su caso. Escriba CANCELAR REFERIDO para cancelar. Responda SI para aceptar o NO.",
    },
    "consent_again": {
        "en": "I need a clear YES to send your request, or NO if you don't want it.",
        "es": "Necesito un SI claro para enviar su solicitud, o NO si no la quiere.",
    },
    "sent": {
        "en": "Done. Your reference is {code}. CSCC outreach will {how} you within {days} business days. "
        "Text STATUS to check, or CANCEL REFERRAL to cancel.",
        "es": "Listo. Su referencia es {code}. El equipo de CSCC le va a {how} en {days} dias habiles. "
        "Escriba ESTADO para ver como va, o CANCELAR REFERIDO para cancelar.",
    },
    "queued": {
        "en": "I could not reach the referral office just now. Your request is saved and will be sent "
        "automatically; text STATUS later to get your reference. If you need help sooner, call 211.",
        "es": "No pude comunicarme con la oficina de referidos ahora. Su solicitud esta guardada y se enviara "
        "sola; escriba ESTADO mas tarde para recibir su referencia. Si necesita ayuda antes, llame al 211.",
    },
    "refused": {
        "en": "Sorry, I could not send your request. Please call 211 (24/7) or 311 and they will help.",
        "es": "Lo siento, no pude enviar su solicitud. Llame al 211 (24 horas) o al 311 y le ayudaran.",
    },
    "no_referral": {
        "en": "OK, no request was sent and nothing was kept.",
        "es": "Bien, no se envio ninguna solicitud y no se guardo nada.",
    },
    "unsafe": {
        "en": "OK, no one will text or call you. Nothing was sent.",
        "es": "Bien, nadie le va a escribir ni llamar. No se envio nada.",
    },
    "call_yourself": {"en": "You can call them yourself:", "es": "Puede llamarles usted:"},
    "no_programs_call": {
        "en": "For help finding a program, call 211 (24/7) or 311.",
        "es": "Para encontrar un programa, llame al 211 (24 horas) o al 311.",
    },
    "status_none": {
        "en": "You have no referral with us. Text CONNECT if you want someone to contact you.",
        "es": "No tiene ningun referido. Escriba CONECTAR si quiere que alguien le contacte.",
    },
    "status_queued": {
        "en": "Your request is saved and waiting to be sent; I will keep trying. Text STATUS again later.",
        "es": "Su solicitud esta guardada y esperando envio; lo sigo intentando. Escriba ESTADO mas tarde.",
    },
    "status_unavailable": {
        "en": "I can't check right now. Try STATUS again later, or call 311.",
        "es": "No puedo revisar ahora. Escriba ESTADO mas tarde o llame al 311.",
    },
    "cancelled": {
        "en": "Your referral {codes} is cancelled and your contact details are erased. No one will contact you.",
        "es": "Su referido {codes} esta cancelado y sus datos de contacto borrados. Nadie le va a contactar.",
    },
    "cancel_queued": {
        "en": "Your request is cancelled. No one will contact you.",
        "es": "Su solicitud esta cancelada. Nadie le va a contactar.",
    },
    "cancel_pending": {
        "en": "Your cancellation is saved and will reach the referral office as soon as it is back. "
        "Your contact details will then be erased.",
        "es": "Su cancelacion esta guardada y llegara a la oficina de referidos en cuanto vuelva. "
        "Entonces se borraran sus datos de contacto.",
    },
    "cancel_none": {
        "en": "You have no open referral to cancel.",
        "es": "No tiene ningun referido abierto para cancelar.",
    },
}
# Where a referral stands, in plain words (STATUS).
STATUS_TEXT = {
    "new": {
        "en": "received; an outreach worker will pick it up soon",
        "es": "recibido; una persona de alcance lo va a tomar pronto",
    },
    "assigned": {
        "en": "with an outreach worker, who will contact you",
        "es": "con una persona de alcance, que le va a contactar",
    },
    "contacted": {"en": "outreach has been in touch with you", "es": "el equipo ya le contacto"},
    "connected": {"en": "you were connected to a program", "es": "usted fue conectado a un programa"},
    "unable_to_reach": {
        "en": "outreach could not reach you. Text CONNECT to try again",
        "es": "no pudieron contactarle. Escriba CONECTAR para intentar de nuevo",
    },
    "declined": {"en": "closed (you declined)", "es": "cerrado (usted no acepto)"},
    "closed": {"en": "closed", "es": "cerrado"},
}
HOW = {
    "text": {"en": "text", "es": "escribir"},
    "call": {"en": "call", "es": "llamar"},
    "both": {"en": "text or call", "es": "escribir o llamar"},
}


def t(key: str, lang: str, **values: Any) -> str:
    return to_gsm7(localized(TEXT, key, lang, **values))


def plain(text: str) -> str:
    """Lower case, no accents or punctuation: what a keyword answer is compared as."""
    text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode().lower()
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text).split())


def on_sms(tracker: Tracker) -> bool:
    return tracker.get_latest_input_channel() == SMS_CHANNEL


def sealed_sender(tracker: Tracker) -> str | None:
    """The SMS sender's number as the connector sealed it into the latest message (never in clear)."""
    metadata = tracker.latest_message.get("metadata") or {}
    sealed = metadata.get("sealed_contact")
    return sealed if isinstance(sealed, str) and sealed else None


def us_number(text: str) -> str | None:
    """A North American number in E.164, or None. Short codes and N11 numbers (911, 988) are not numbers to call."""
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10 or digits[0] in "01" or digits[3] in "01" or len(text) > 40:
        return None
    return "+1" + digits


def safety_flags(safety: str | None) -> tuple[bool, bool]:
    """(safe to text, safe to call) from the resident's answer."""
    return safety in ("text", "both"), safety in ("call", "both")


def safety_answer(text_ok: bool, call_ok: bool) -> str:
    """The inverse of safety_flags for an answer allowing at least one way; HOW's keys."""
    return "both" if text_ok and call_ok else "text" if text_ok else "call"


def outbox() -> Outbox:
    settings = get_settings()
    box = Outbox(settings.referral_outbox)
    ensure_worker(box, lambda: NavigatorApi(get_settings()), settings.referral_retry_s)
    return box


def reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionStartReferral(Action):
    """Say plainly what a referral is before asking anything, and start from a clean form."""

    def name(self) -> str:
        return "action_start_referral"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        settings = get_settings()
        lang = language(tracker)
        dispatcher.utter_message(
            text=t("intro", lang, days=settings.referral_response_days, retention=settings.retention_days)
        )
        # The programs this is about: the one whose details were opened, else the list last shown.
        chosen = tracker.get_slot("chosen_program")
        programs = [chosen] if chosen else list(tracker.get_slot("results") or [])[: settings.results_per_page]
        return [
            *reset_form(),
            SlotSet("referral_need", tracker.get_slot("need")),
            SlotSet("referral_programs", programs),
            SlotSet("referral_key", uuid.uuid4().hex),
        ]


class ValidateReferralForm(FormValidationAction):
    def name(self) -> str:
        return "validate_referral_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Only what this resident's answers make relevant; none at all once they cancelled or declined."""
        slot = tracker.get_slot
        if slot("referral_consent") == "no":
            return []
        needed = ["referral_need", "referral_name", "referral_contact_method"]
        if slot("referral_contact_method") == "self":
            return needed
        needed += ["referral_contact", "referral_safety"]
        if slot("referral_safety") == "neither":
            return needed
        if safety_flags(slot("referral_safety"))[1]:
            needed.append("referral_voicemail")
        return [*needed, "referral_safe_times", "referral_language", "referral_consent"]

    def _abort(self, value: Any) -> bool:
        return plain(str(value or "")) in ABORT

    def validate_referral_need(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._abort(value):
            return {"referral_need": None, "referral_consent": "no"}
        need = " ".join(str(value or "").split())[:120]
        return {"referral_need": need or None}

    def validate_referral_name(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {"referral_name": None, "referral_consent": "no"}
        if text in {"skip", "no", "none", "n a", "na", "omitir", "ninguno", "paso", "prefiero no"}:
            return {"referral_name": SKIPPED}
        name = re.sub(
            r"^(my name is|i am|i m|im|call me|me llamo|soy|mi nombre es)\s+", "", str(value).strip(), flags=re.I
        )
        name = name.strip(" .!,")
        if not name or len(name) > 40 or len(name.split()) > 3 or any(ch.isdigit() for ch in name):
            dispatcher.utter_message(text=t("bad_name", language(tracker)))
            return {"referral_name": None}
        return {"referral_name": name}

    def validate_referral_contact_method(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {"referral_contact_method": None, "referral_consent": "no"}
        sms = on_sms(tracker)
        # The numbers follow the question each channel asks (SMS has "this number" and "another number").
        numbered = (
            {"1": "text", "2": "call", "3": "other_number", "4": "self"}
            if sms
            else {"1": "text", "2": "call", "3": "self"}
        )
        method = (
            numbered.get(text[:1])
            if text[:1].isdigit()
            else next((m for w, m in METHOD_WORDS.items() if w in text.split()), None)
        )
        if method is None or (method == "other_number" and not sms):
            dispatcher.utter_message(text=t("bad_method_sms" if sms else "bad_method_web", language(tracker)))
            return {"referral_contact_method": None}
        events: dict[str, Any] = {"referral_contact_method": method}
        if sms and method in ("text", "call") and sealed_sender(tracker):
            events["referral_contact"] = sealed_sender(tracker)
        return events

    def validate_referral_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "referral_contact":
            return {"referral_contact": value}  # already sealed (the SMS sender's number)
        if self._abort(value):
            return {"referral_contact": None, "referral_consent": "no"}
        number = us_number(str(value or ""))
        if number is None:
            dispatcher.utter_message(text=t("bad_number", language(tracker)))
            return {"referral_contact": None}
        key = get_settings().contact_public_key
        if not key:
            # Without the api's key the number could only be kept in clear: refuse, and say so.
            log.error("referral: NAVIGATOR_CONTACT_PUBLIC_KEY is not set")
            dispatcher.utter_message(text=t("refused", language(tracker)))
            return {"referral_contact": None, "referral_consent": "no"}
        return {"referral_contact": seal(number, key)}

    def validate_referral_safety(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {"referral_safety": None, "referral_consent": "no"}
        numbered = {"1": "text", "2": "call", "3": "both", "4": "neither"}
        if text[:1] in numbered:
            return {"referral_safety": numbered[text[:1]]}
        words = set(text.split())
        if words & {"neither", "ninguno", "ninguna", "no", "none"}:
            return {"referral_safety": "neither"}
        if words & {"both", "ambos", "either", "any", "cualquiera"}:
            return {"referral_safety": "both"}
        text_ok, call_ok = (
            bool(words & {"text", "texto", "texts"}),
            bool(words & {"call", "calls", "llamada", "llamadas"}),
        )
        if text_ok or call_ok:
            return {"referral_safety": safety_answer(text_ok, call_ok)}
        dispatcher.utter_message(text=t("bad_safety", language(tracker)))
        return {"referral_safety": None}

    def validate_referral_voicemail(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._yes_no("referral_voicemail", value, dispatcher, tracker)

    def validate_referral_safe_times(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {"referral_safe_times": None, "referral_consent": "no"}
        if text in {"any", "anytime", "any time", "whenever", "cualquiera", "cualquier hora", "siempre"}:
            return {"referral_safe_times": SKIPPED}
        return {"referral_safe_times": " ".join(str(value).split())[:100]}

    def validate_referral_language(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {"referral_language": None, "referral_consent": "no"}
        if text in {"1", "english", "ingles", "en"}:
            return {"referral_language": "en"}
        if text in {"2", "espanol", "spanish", "es"}:
            return {"referral_language": "es"}
        dispatcher.utter_message(text=t("bad_language", language(tracker)))
        return {"referral_language": None}

    def validate_referral_consent(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in YES:
            return {"referral_consent": "yes", "referral_consent_at": datetime.now(timezone.utc).isoformat()}
        if text in NO or text in ABORT:
            return {"referral_consent": "no"}
        # Consent must be explicit: "ok", "sure", "yes but..." are not a YES.
        dispatcher.utter_message(text=t("consent_again", language(tracker)))
        return {"referral_consent": None}

    def _yes_no(self, slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {slot: None, "referral_consent": "no"}
        first = text.split()[0] if text else ""
        if first in YES or first in {"y", "ok", "sure", "claro", "yeah"}:
            return {slot: "yes"}
        if first in NO:
            return {slot: "no"}
        dispatcher.utter_message(text=t("bad_yes_no", language(tracker)))
        return {slot: None}


class ActionAskReferralContactMethod(Action):
    def name(self) -> str:
        return "action_ask_referral_contact_method"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=t("ask_method_sms" if on_sms(tracker) else "ask_method_web", language(tracker)))
        return []


def program_facts(client: NavigatorApi, ids: list[str], lang: str) -> list[dict[str, Any]]:
    facts = []
    for program_id in ids:
        program = client.program(program_id, lang=lang)
        if program is not None:
            facts.append(program)
    return facts


class ActionAskReferralConsent(Action):
    """Show the exact text the resident agrees to, and keep it: the api records it with the YES."""

    def name(self) -> str:
        return "action_ask_referral_consent"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        settings = get_settings()
        lang = language(tracker)
        slot = tracker.get_slot
        programs: list[str] = list(slot("referral_programs") or [])
        client = api()
        try:
            facts = program_facts(client, programs, lang)
            area = self.community_area(client, tracker)
        except ApiUnavailable as exc:
            log.warning("consent: %s", type(exc).__name__)
            facts, area = [], None
        finally:
            client.close()
        text_ok, call_ok = safety_flags(slot("referral_safety"))
        how = safety_answer(text_ok, call_ok)
        own_number = on_sms(tracker) and slot("referral_contact_method") in ("text", "call")
        target = {"en": "this number" if own_number else "the number you gave",
                  "es": "a este numero" if own_number else "al numero que dio"}  # fmt: skip
        times = slot("referral_safe_times")
        named = slot("referral_name") not in (None, SKIPPED)
        shared = {"en": ("first name, " if named else "") + "number, need and area",
                  "es": ("nombre, " if named else "") + "numero, necesidad y zona"}  # fmt: skip
        names = [f["short_name"] for f in facts]
        key = "es" if lang == "es" else "en"
        consent = t(
            "consent",
            lang,
            how=HOW[how][key],
            target=target[key],
            days=settings.referral_response_days,
            when=f" ({times})" if times and times != SKIPPED else "",
            voicemail={"en": ", no voicemail", "es": ", sin mensaje de voz"}[key]
            if call_ok and slot("referral_voicemail") == "no"
            else "",
            need=(slot("referral_need") or "")[:80],
            programs=f" ({', '.join(names)})" if names else "",
            shared=shared[key],
            retention=settings.retention_days,
        )
        dispatcher.utter_message(text=consent)
        needs = sorted({c for f in facts for c in f.get("categories", [])[:1]})
        return [
            SlotSet("referral_consent_text", consent),
            SlotSet("referral_needs", needs),
            SlotSet("referral_area", area),
        ]

    @staticmethod
    def community_area(client: NavigatorApi, tracker: Tracker) -> str | None:
        """The community area of the place the resident gave (never the place itself)."""
        location = tracker.get_slot("location")
        if not location:
            return None
        return client.community_area(location)


def referral_body(tracker: Tracker) -> dict[str, Any]:
    slot = tracker.get_slot
    text_ok, call_ok = safety_flags(slot("referral_safety"))
    name, times = slot("referral_name"), slot("referral_safe_times")
    return {
        "channel": "sms" if on_sms(tracker) else "web",
        "language": slot("referral_language") or language(tracker),
        "conversation_id": tracker.sender_id,
        "needs": list(slot("referral_needs") or []),
        "programs": list(slot("referral_programs") or []),
        "community_area": slot("referral_area"),
        "first_name": None if name in (None, SKIPPED) else name,
        "contact_method": slot("referral_contact_method"),
        "sealed_contact": slot("referral_contact"),
        "safe_to_text": text_ok,
        "safe_to_call": call_ok,
        "safe_times": None if times in (None, SKIPPED) else times,
        "no_voicemail": call_ok and slot("referral_voicemail") == "no",
        "consent": {
            "text": slot("referral_consent_text"),
            "at": slot("referral_consent_at"),
            "scope": "CSCC outreach may contact the resident about this need; shared only with CSCC outreach staff",
        },
    }


class ActionSubmitReferral(Action):
    """After the form: a referral only with consent; otherwise the programs' own numbers."""

    def name(self) -> str:
        return "action_submit_referral"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        slot = tracker.get_slot
        if slot("referral_consent") != "yes" or not slot("referral_consent_text"):
            parts = []
            if slot("referral_contact_method") != "self":
                parts.append(t("unsafe" if slot("referral_safety") == "neither" else "no_referral", lang))
            parts.append(await asyncio.to_thread(self.contacts, list(slot("referral_programs") or []), lang))
            dispatcher.utter_message(text=" ".join(parts))
            return reset_form()
        body = referral_body(tracker)
        key = slot("referral_key") or uuid.uuid4().hex
        box = outbox()
        # Written down before the first attempt: from here on, the referral survives any failure.
        box.put(key=key, kind=CREATE, conversation_id=tracker.sender_id, body=body)
        item = next(p for p in box.pending(tracker.sender_id) if p.key == key)
        client = api()
        try:
            receipt = await asyncio.to_thread(box.deliver, item, client)
        except ReferralRejected:
            dispatcher.utter_message(text=t("refused", lang))
            return reset_form()
        finally:
            client.close()
        if not isinstance(receipt, ReferralReceipt):
            dispatcher.utter_message(text=t("queued", lang))
            return reset_form()
        how = safety_answer(body["safe_to_text"], body["safe_to_call"])
        key_lang = "es" if lang == "es" else "en"
        dispatcher.utter_message(
            text=t("sent", lang, code=receipt.code, how=HOW[how][key_lang], days=get_settings().referral_response_days)
        )
        return [*reset_form(), SlotSet("referral_code", receipt.code)]

    @staticmethod
    def contacts(program_ids: list[str], lang: str) -> str:
        """The programs' own numbers, so a resident who wants no referral can still reach them."""
        client = api()
        try:
            facts = program_facts(client, program_ids, lang)
        except ApiUnavailable:
            facts = []
        finally:
            client.close()
        reachable = [f"{f['short_name']} {f['phones'][0]['number']}" for f in facts if f.get("phones")]
        if not reachable:
            return t("no_programs_call", lang)
        return t("call_yourself", lang) + " " + "; ".join(reachable)


class ActionReferralStatus(Action):
    def name(self) -> str:
        return "action_referral_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        box = outbox()
        client = api()
        try:
            left = await asyncio.to_thread(box.drain, client, tracker.sender_id)
            receipts = await asyncio.to_thread(client.referrals_of, tracker.sender_id)
        except ApiUnavailable as exc:
            log.warning("status: %s", type(exc).__name__)
            pending = box.pending(tracker.sender_id)
            dispatcher.utter_message(text=t("status_queued" if pending else "status_unavailable", lang))
            return []
        finally:
            client.close()
        if left:
            dispatcher.utter_message(text=t("status_queued", lang))
        if not receipts:
            if not left:
                dispatcher.utter_message(text=t("status_none", lang))
            return []
        dispatcher.utter_message(text=status_text(receipts, lang))
        return []


def status_text(receipts: list[ReferralReceipt], lang: str) -> str:
    key = "es" if lang == "es" else "en"
    lines = [f"{r.code}: {STATUS_TEXT.get(r.status, STATUS_TEXT['new'])[key]}." for r in receipts[:3]]
    return to_gsm7("\n".join(lines))


class ActionCancelReferral(Action):
    """Consent withdrawn: nothing queued is sent, and the api closes every open referral and erases the contact."""

    def name(self) -> str:
        return "action_cancel_referral"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        box = outbox()
        unsent = [p for p in box.pending(tracker.sender_id) if p.kind == CREATE]
        for item in unsent:
            box.drop(item.key)
        # Queued too, after anything of theirs still in flight: the withdrawal must reach the api even if it is down.
        key = f"withdraw-{uuid.uuid4().hex}"
        box.put(key=key, kind=WITHDRAW, conversation_id=tracker.sender_id, body={})
        item = next(p for p in box.pending(tracker.sender_id) if p.key == key)
        client = api()
        try:
            withdrawn = await asyncio.to_thread(box.deliver, item, client)
        finally:
            client.close()
        if not isinstance(withdrawn, list):
            dispatcher.utter_message(text=t("cancel_pending", lang))
            return [SlotSet("referral_code", None)]
        codes = ", ".join(r.code for r in withdrawn)
        if codes:
            dispatcher.utter_message(text=t("cancelled", lang, codes=codes))
        elif unsent:
            dispatcher.utter_message(text=t("cancel_queued", lang))
        else:
            dispatcher.utter_message(text=t("cancel_none", lang))
        return [SlotSet("referral_code", None)]
