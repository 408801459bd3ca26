"""Hazard reports to 311 (issue 8): a resident names what makes their block unsafe (a street or alley light out,
graffiti, a vacant lot, an abandoned building), says where, and confirms; the api files it with 311 through Open311
and the resident gets the city's request number, or the truth about why not yet. REPORT STATUS reads back the city's
numbers and whether the requests are still open.

Anonymous unless the resident asks otherwise: only on SMS may they let 311 contact them, and then the number is the
one the SMS channel sealed into the message (never asked, never in clear here). A photo texted with any message of
the report (Twilio's MediaUrl, passed on by the channel as `media_url`) goes with it. On SMS, CANCEL and QUIT are
Twilio's opt-out words and never reach the bot, so the questions offer EXIT / SALIR to stop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.api_client import ApiUnavailable, HazardReceipt, HazardRejected, NavigatorApi
from actions.formatting import localized
from actions.referral import on_sms, plain, sealed_sender
from actions.search import api, language
from knowledge.hazards import HAZARD_TYPES, LABELS
from knowledge.language import STOP_EN, STOP_ES
from knowledge.sms import to_gsm7

log = logging.getLogger(__name__)

FORM_SLOTS = ("hazard_type", "hazard_location", "hazard_contact", "hazard_confirm", "hazard_media", "hazard_key")
ABORT = {"cancel", "cancelar", "quit", "exit", "salir", "never mind", "nevermind", "olvidalo", "stop report"}
YES = {"yes", "si", "y", "ok", "okay", "sure", "send", "enviar", "claro", "yeah", "dale"}
NO = {"no", "nope", "nah"}
MAX_LOCATION = 200  # the api's limit, and more than any address or pair of cross streets needs
# 311 takes calls on 311 inside Chicago; from a phone outside the city's exchange 311 does not connect.
CALL_311 = {"en": "311 (312-744-5000 from outside Chicago)", "es": "311 (312-744-5000 desde fuera de Chicago)"}

# A small reviewed lexicon over plain() text (lower case, no accents). The light words name the street's or the
# alley's lights, never a home's ("they cut off my lights" is a bill, and is never a report_hazard message).
LIGHT = re.compile(r"\b(lights?|lamps?|streetlights?|streetlamps?|luz|luces|lamparas?|farol|faroles|alumbrado)\b")
ALLEY = re.compile(r"\b(alley|alleys|alleyway|callejon|callejones)\b")
GRAFFITI = re.compile(
    r"\b(graff?it+is?|graf+it+i|grafitis?|tagging|tagged|tags|spray ?paint\w*|painted|pintas?|pintaron|rayaron)\b"
)
LOT = re.compile(r"\b(lot|lots|lote|lotes|terreno|terrenos|baldio|baldios)\b")
BUILDING = re.compile(
    r"\b(building|buildings|house|houses|home|property|garage|store|factory|warehouse|edificio|edificios|casa|casas"
    r"|propiedad|bodega|fabrica|tienda)\b"
)
# Abandoned says it alone; vacant and empty need a building ("the street is empty at night" is not a building).
ABANDONED = re.compile(r"\b(abandon\w*|boarded|tapiad[ao]s?)\b")
EMPTY = re.compile(r"\b(vacant|empty|vaci[ao]s?|desocupad[ao]s?|deshabitad[ao]s?)\b")
# Words that only frame a report ("I want to report a hazard"): what is left besides them describes the hazard.
FRAME = set(
    "report reporting hazard problem issue safety unsafe dangerous danger concern want file 311 please can you "
    "something there block street reportar reporte reporto peligro peligroso problema quiero hacer favor algo "
    "cuadra calle seguridad".split()
)
# The menu's numbers (the question lists HAZARD_TYPES in order), and the words for its last item.
MENU = {str(n): hazard_type for n, hazard_type in enumerate(HAZARD_TYPES, 1)}
OTHER_WORDS = {"other", "something else", "else", "otro", "otra", "otra cosa", "something"}

TEXT: dict[str, dict[str, str]] = {
    "ask_type": {
        "en": "I can send a report to 311 (City of Chicago). What is it? Reply 1 street light out, 2 alley light out, "
        "3 graffiti, 4 vacant lot, 5 abandoned building, 6 something else.",
        "es": "Puedo enviar un reporte al 311 (Ciudad de Chicago). Que es? Responda 1 luz de calle apagada, 2 luz de "
        "callejon apagada, 3 grafiti, 4 lote baldio, 5 edificio abandonado, 6 otra cosa.",
    },
    "bad_type": {"en": "Reply a number from 1 to 6.", "es": "Responda un numero del 1 al 6."},
    "ask_location": {
        "en": "311 report: {label}. Where is it? Send the address or the cross streets, like 63rd and Halsted.{photo} "
        "Reply {stop} to stop.",
        "es": "Reporte al 311: {label}. Donde esta? Envie la direccion o las calles que se cruzan, como 63rd y "
        "Halsted.{photo} Responda SALIR para dejarlo.",
    },
    "photo_hint": {"en": " You can text a photo too.", "es": " Tambien puede enviar una foto."},
    "photo_received": {"en": " Got your photo.", "es": " Recibi su foto."},
    "bad_location": {
        "en": "I need the address or the cross streets, like 1200 W 63rd St or 63rd and Halsted.",
        "es": "Necesito la direccion o las calles que se cruzan, como 1200 W 63rd St o 63rd y Halsted.",
    },
    "long_location": {
        "en": "That is too long. Send just the address or the cross streets.",
        "es": "Es demasiado largo. Envie solo la direccion o las calles que se cruzan.",
    },
    "ask_contact": {
        "en": "Should 311 be able to contact you about it? Reply 1 no, keep me anonymous (recommended), or 2 yes, "
        "311 may text or call this number.",
        "es": "Puede el 311 contactarle sobre esto? Responda 1 no, anonimo (recomendado), o 2 si, el 311 puede "
        "escribir o llamar a este numero.",
    },
    "confirm": {
        "en": "Send to 311: {label} at {location}{photo}, {who}. Reply YES to send or NO to drop it.",
        "es": "Enviar al 311: {label} en {location}{photo}, {who}. Responda SI para enviar o NO para no enviarlo.",
    },
    "with_photo": {"en": ", with your photo", "es": ", con su foto"},
    "anonymous": {"en": "anonymous", "es": "anonimo"},
    "contact": {"en": "311 may contact you at this number", "es": "el 311 puede contactarle a este numero"},
    "bad_confirm": {
        "en": "Reply YES to send it to 311 or NO to drop it.",
        "es": "Responda SI para enviarlo al 311 o NO para no enviarlo.",
    },
    "dropped": {"en": "OK, nothing was sent to 311.", "es": "Bien, no se envio nada al 311."},
    "filed": {
        "en": "Sent to 311. Your 311 request number is {number}. Text REPORT STATUS to check on it.",
        "es": "Enviado al 311. Su numero de solicitud del 311 es {number}. Escriba ESTADO DEL REPORTE para ver "
        "como va.",
    },
    "queued": {
        "en": "311 is not answering right now. Your report is saved and will be sent to 311 automatically. "
        "Text REPORT STATUS later to get the 311 number.",
        "es": "El 311 no responde en este momento. Su reporte esta guardado y se enviara solo al 311. Escriba "
        "ESTADO DEL REPORTE mas tarde para recibir el numero del 311.",
    },
    "not_sent": {
        "en": "Sorry, your report was not sent: I can't reach the reporting system right now. Please call {call}.",
        "es": "Lo siento, su reporte no se envio: no puedo comunicarme con el sistema ahora. Llame al {call}.",
    },
    "refused": {
        "en": "311 did not accept this report. Please call {call} to report it.",
        "es": "El 311 no acepto este reporte. Llame al {call} para reportarlo.",
    },
    "status_none": {
        "en": "You have no reports with us. To report a light out, graffiti, a vacant lot or an abandoned building, "
        "tell me what it is.",
        "es": "No tiene reportes. Para reportar una luz apagada, grafiti, un lote baldio o un edificio abandonado, "
        "digame que es.",
    },
    "status_unavailable": {
        "en": "I can't check right now. Try REPORT STATUS again later, or call {call}.",
        "es": "No puedo revisar ahora. Escriba ESTADO DEL REPORTE mas tarde o llame al {call}.",
    },
    "status_filed": {"en": "311 #{number}, {status}", "es": "311 #{number}, {status}"},
    "status_queued": {
        "en": "saved, not yet sent to 311 ({code})",
        "es": "guardado, aun no enviado al 311 ({code})",
    },
    "status_refused": {
        "en": "311 did not accept it ({code}); please call 311",
        "es": "el 311 no lo acepto ({code}); llame al 311",
    },
}
CITY_STATUS = {
    "open": {"en": "open", "es": "abierto"},
    "closed": {"en": "closed", "es": "cerrado"},
    None: {"en": "sent", "es": "enviado"},
}
# A Chicago ZIP in the place the resident gave: the community area is looked up from it, never from the address.
ZIP = re.compile(r"\b(60[67]\d\d|60827)\b")


def t(key: str, lang: str, **values: Any) -> str:
    return to_gsm7(localized(TEXT, key, lang, **values))


def label(hazard_type: str | None, lang: str) -> str:
    return LABELS.get(hazard_type or "other_safety", LABELS["other_safety"])["es" if lang == "es" else "en"]


def candidates(text: str) -> list[str]:
    """The hazard types the words name, in HAZARD_TYPES order (more than one when the resident named several)."""
    words = plain(text)
    found = []
    if LIGHT.search(words):
        found.append("alley_light" if ALLEY.search(words) else "street_light")
    if GRAFFITI.search(words):
        found.append("graffiti")
    lot = LOT.search(words) is not None
    if lot:
        found.append("vacant_lot")
    building = BUILDING.search(words) is not None
    abandoned = ABANDONED.search(words) is not None
    # "an empty lot" is a lot; "an abandoned building next to an empty lot" names both.
    if (building and (abandoned or EMPTY.search(words))) or (abandoned and not lot):
        found.append("abandoned_building")
    return found


def described(text: str) -> bool:
    """Whether the words say something besides "I want to report a hazard": then 'something else' needs no asking."""
    rest = [w for w in plain(text).split() if w not in FRAME and w not in STOP_EN and w not in STOP_ES]
    return len(rest) >= 2


def classify(text: str) -> str | None:
    """The hazard type from the resident's words; None when it must be asked (nothing said, or several named)."""
    found = candidates(text)
    if len(found) == 1:
        return found[0]
    if not found and described(text):
        return "other_safety"
    return None


def photo(tracker: Tracker) -> str | None:
    """The photo the SMS channel found in the latest message (https only: the api and 311 accept nothing else)."""
    metadata = tracker.latest_message.get("metadata") or {}
    url = metadata.get("media_url")
    return url if isinstance(url, str) and url.startswith("https://") and len(url) <= 1000 else None


def only_photo(text: str, tracker: Tracker) -> bool:
    """A picture without words (an MMS with no text): it answers no question, and the question is asked again."""
    return not text.strip() and photo(tracker) is not None


def reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS]


class ActionStartHazard(Action):
    """A clean form, the type when the resident's words name it, a photo sent with them, and the report's key."""

    def name(self) -> str:
        return "action_start_hazard"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        return [
            *reset_form(),
            SlotSet("hazard_type", classify(tracker.latest_message.get("text") or "")),
            SlotSet("hazard_media", photo(tracker)),
            SlotSet("hazard_key", uuid.uuid4().hex),
        ]


class ValidateHazardForm(FormValidationAction):
    def name(self) -> str:
        return "validate_hazard_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        # A photo may come with any answer, or alone (an MMS without text), and is kept whatever was asked. Never with
        # a crisis message: the form must reject it (nothing filled) so the crisis rule sends the numbers first.
        events = await super().run(dispatcher, tracker, domain)
        media = photo(tracker)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if media and media != tracker.get_slot("hazard_media") and intent != "crisis":
            events.append(SlotSet("hazard_media", media))
        return events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The type only if it is not known yet; contact only on SMS, where the number comes sealed with the message;
        nothing once the resident dropped the report."""
        if tracker.get_slot("hazard_confirm") == "no":
            return []
        needed = ["hazard_type", "hazard_location"]
        if on_sms(tracker) and sealed_sender(tracker):
            needed.append("hazard_contact")
        return [*needed, "hazard_confirm"]

    @staticmethod
    def _abort(value: Any) -> bool:
        return plain(str(value or "")) in ABORT

    def validate_hazard_type(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") != "hazard_type":
            return {"hazard_type": value}  # set from the first message by action_start_hazard
        text = plain(str(value or ""))
        if text in ABORT:
            return {"hazard_type": None, "hazard_confirm": "no"}
        if only_photo(text, tracker):
            return {"hazard_type": None}
        first = text.split()[0] if text else ""
        if first in MENU:
            return {"hazard_type": MENU[first]}
        if text in OTHER_WORDS:
            return {"hazard_type": "other_safety"}
        found = candidates(text)
        if len(found) == 1:
            return {"hazard_type": found[0]}
        dispatcher.utter_message(text=t("bad_type", language(tracker)))
        return {"hazard_type": None}

    def validate_hazard_location(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if self._abort(value):
            return {"hazard_location": None, "hazard_confirm": "no"}
        lang = language(tracker)
        place = " ".join(str(value or "").split())  # one line, as 311 keeps it
        if only_photo(place, tracker):
            return {"hazard_location": None}  # asked again, saying the photo came
        if len(place) > MAX_LOCATION:
            dispatcher.utter_message(text=t("long_location", lang))
            return {"hazard_location": None}
        # 311 needs a place it can find: words (a street name), not a lone ZIP code or a digit.
        if len(place) < 3 or not any(ch.isalpha() for ch in place):
            dispatcher.utter_message(text=t("bad_location", lang))
            return {"hazard_location": None}
        return {"hazard_location": place}

    def validate_hazard_contact(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if text in ABORT:
            return {"hazard_contact": None, "hazard_confirm": "no"}
        if only_photo(text, tracker):
            return {"hazard_contact": None}
        first = text.split()[0] if text else ""
        # Anonymous unless the resident clearly asks to be contacted: the recommended and the safe default.
        wants_contact = first in {"2", "yes", "si", "y", "contact", "contactar", "contactenme"}
        return {"hazard_contact": "contact" if wants_contact else "anonymous"}

    def validate_hazard_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        text = plain(str(value or ""))
        if only_photo(text, tracker):
            return {"hazard_confirm": None}  # asked again, now "with your photo"
        first = text.split()[0] if text else ""
        if text in ABORT or first in NO:
            return {"hazard_confirm": "no"}
        if first in YES:
            return {"hazard_confirm": "yes"}
        dispatcher.utter_message(text=t("bad_confirm", language(tracker)))
        return {"hazard_confirm": None}


class ActionAskHazardType(Action):
    def name(self) -> str:
        return "action_ask_hazard_type"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=t("ask_type", language(tracker)))
        return []


class ActionAskHazardLocation(Action):
    def name(self) -> str:
        return "action_ask_hazard_location"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        sms = on_sms(tracker)
        # Only SMS carries photos; one already received is acknowledged instead of asked for.
        hint = "photo_received" if tracker.get_slot("hazard_media") else "photo_hint" if sms else None
        dispatcher.utter_message(
            text=t(
                "ask_location",
                lang,
                label=label(tracker.get_slot("hazard_type"), lang),
                photo=t(hint, lang) if hint else "",
                stop="EXIT" if sms else "CANCEL",
            )
        )
        return []


class ActionAskHazardContact(Action):
    def name(self) -> str:
        return "action_ask_hazard_contact"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(text=t("ask_contact", language(tracker)))
        return []


class ActionAskHazardConfirm(Action):
    """The hazard, the place, the photo and who 311 may contact, as they will be sent."""

    def name(self) -> str:
        return "action_ask_hazard_confirm"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        slot = tracker.get_slot
        dispatcher.utter_message(
            text=t(
                "confirm",
                lang,
                label=label(slot("hazard_type"), lang),
                location=slot("hazard_location") or "",
                photo=t("with_photo", lang) if slot("hazard_media") else "",
                who=t("contact" if slot("hazard_contact") == "contact" else "anonymous", lang),
            )
        )
        return []


def hazard_body(tracker: Tracker, community_area: str | None) -> dict[str, Any]:
    slot = tracker.get_slot
    # The number only when the resident asked 311 to contact them, and only as the SMS channel sealed it.
    sealed = sealed_sender(tracker) if on_sms(tracker) and slot("hazard_contact") == "contact" else None
    body: dict[str, Any] = {
        "channel": "sms" if on_sms(tracker) else "web",
        "language": language(tracker),
        "conversation_id": tracker.sender_id,
        "hazard_type": slot("hazard_type") if slot("hazard_type") in HAZARD_TYPES else "other_safety",
        "location": slot("hazard_location"),
    }
    optional = {"community_area": community_area, "media_url": slot("hazard_media"), "sealed_contact": sealed}
    return {**body, **{k: v for k, v in optional.items() if v}}


def submit(client: NavigatorApi, tracker: Tracker, key: str) -> HazardReceipt:
    """The community area from a ZIP in the place, if any, then the report itself."""
    zip_code = ZIP.search(tracker.get_slot("hazard_location") or "")
    area = client.community_area(zip_code.group(1)) if zip_code else None
    return client.create_hazard_report(hazard_body(tracker, area), idempotency_key=key)


class ActionSubmitHazard(Action):
    """After the form: filed, queued, or not sent, and the resident is told which."""

    def name(self) -> str:
        return "action_submit_hazard"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        slot = tracker.get_slot
        if slot("hazard_confirm") != "yes" or not slot("hazard_location"):
            dispatcher.utter_message(text=t("dropped", lang))
            return reset_form()
        # The key made when the report started: an action retried, or the client's own retries, make one report.
        key = slot("hazard_key") or uuid.uuid4().hex
        client = api()
        try:
            receipt = await asyncio.to_thread(submit, client, tracker, key)
        except ApiUnavailable as exc:
            log.warning("hazard report not sent: %s", exc)  # the reason only; never the place or the number
            dispatcher.utter_message(text=t("not_sent", lang, call=CALL_311[lang]))
            return reset_form()
        except HazardRejected as exc:
            log.error("hazard report refused by the api: %s", exc)
            dispatcher.utter_message(text=t("not_sent", lang, call=CALL_311[lang]))
            return reset_form()
        finally:
            client.close()
        log.info("hazard report %s", receipt.state)
        if receipt.state == "filed" and receipt.service_request_id:
            dispatcher.utter_message(text=t("filed", lang, number=receipt.service_request_id))
        elif receipt.state == "refused":
            dispatcher.utter_message(text=t("refused", lang, call=CALL_311[lang]))
        else:
            dispatcher.utter_message(text=t("queued", lang))
        return reset_form()


class ActionHazardStatus(Action):
    def name(self) -> str:
        return "action_hazard_status"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        lang = language(tracker)
        client = api()
        try:
            receipts = await asyncio.to_thread(client.hazard_reports_of, tracker.sender_id)
        except ApiUnavailable as exc:
            log.warning("hazard status: %s", type(exc).__name__)
            dispatcher.utter_message(text=t("status_unavailable", lang, call=CALL_311[lang]))
            return []
        finally:
            client.close()
        if not receipts:
            dispatcher.utter_message(text=t("status_none", lang))
            return []
        dispatcher.utter_message(text=status_text(receipts, lang))
        return []


def status_line(receipt: HazardReceipt, lang: str) -> str:
    key = "es" if lang == "es" else "en"
    name = label(receipt.hazard_type, lang)
    if receipt.state == "filed" and receipt.service_request_id:
        status = CITY_STATUS.get(receipt.city_status, CITY_STATUS[None])[key]
        where = t("status_filed", lang, number=receipt.service_request_id, status=status)
    elif receipt.state == "refused":
        where = t("status_refused", lang, code=receipt.code)
    else:
        where = t("status_queued", lang, code=receipt.code)
    return f"{name[:1].upper()}{name[1:]}: {where}."


def status_text(receipts: list[HazardReceipt], lang: str) -> str:
    return to_gsm7("\n".join(status_line(r, lang) for r in receipts[:5]))
