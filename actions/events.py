"""Events and safe-space hours: "anything for teens this weekend in Englewood?" / "¿eventos para familias cerca de
60623?" -> the upcoming ones nearest first, one line each, in the resident's language.

The request is kept (slot `event_request`) so a place sent afterwards, or MORE, asks again for the same events; a
program search forgets it (actions/search.py).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api_client import ApiUnavailable, BadPlace, EventSummary, NavigatorApi
from actions.formatting import MAX_CHARS, language, localized, t
from actions.settings import get_settings
from knowledge.audiences import asks_for_safe_space, audience_in
from knowledge.sms import gsm7_length, to_gsm7
from knowledge.when import WEEKDAYS_EN, Window, find_window

log = logging.getLogger(__name__)

TEXT = {
    "event": {"en": "Events", "es": "Eventos"},
    "safe_space": {"en": "Safe spaces", "es": "Espacios seguros"},
    "youth": {"en": "for youth", "es": "para jovenes"},
    "teens": {"en": "for teens", "es": "para adolescentes"},
    "families": {"en": "for families", "es": "para familias"},
    "seniors": {"en": "for seniors", "es": "para personas mayores"},
    "adults": {"en": "for adults", "es": "para adultos"},
    "near": {"en": "near {place}", "es": "cerca de {place}"},
    "none": {
        "en": "I found no {what}. Try another day or place, or call 211 (24/7).",
        "es": "No encontre {what}. Pruebe otro dia o lugar, o llame al 211 (24 horas).",
    },
    "more": {"en": "Reply MORE for more.", "es": "Responda MAS para ver mas."},
    "ask_place": {
        "en": "Send your ZIP or neighborhood for ones near you.",
        "es": "Envie su codigo postal o barrio para ver los de cerca.",
    },
    "unavailable": {
        "en": "I can't look up events right now. Call 211 (24/7) or 311 and they can help.",
        "es": "No puedo buscar eventos en este momento. Llame al 211 (24 horas) o al 311 para que le ayuden.",
    },
}


def describe(lang: str, *, kind: str, audience: str | None, window: Window | None, place: str | None) -> str:
    """What was looked for, in the resident's words: "Events for teens this weekend near Englewood"."""
    parts = [localized(TEXT, kind, lang)]
    if audience:
        parts.append(localized(TEXT, audience, lang))
    if window:
        on = "on " if lang != "es" and window.key in WEEKDAYS_EN else ""
        parts.append(on + window.label(lang))
    if place:
        parts.append(localized(TEXT, "near", lang, place=place))
    return " ".join(parts)


def events_message(
    events: list[EventSummary], lang: str, *, heading: str, more: bool, ask_place: bool
) -> tuple[str, int]:
    """The heading, one line per event, and what to reply, in three segments at most: later events give way first.
    Returns the text and how many events it shows."""
    if not events:
        lowered = heading[0].lower() + heading[1:]
        return to_gsm7(localized(TEXT, "none", lang, what=lowered)), 0
    shown = list(events)
    while True:
        footer = [localized(TEXT, "more", lang)] if more or len(shown) < len(events) else []
        if ask_place:
            footer.insert(0, localized(TEXT, "ask_place", lang))
        text = to_gsm7("\n".join([f"{heading}:", *(e.sms for e in shown), " ".join(footer)]).strip())
        if gsm7_length(text) <= MAX_CHARS or len(shown) == 1:
            return text, len(shown)
        shown = shown[:-1]


def run_events(
    dispatcher: CollectingDispatcher, tracker: Tracker, request: str, location: str | None, offset: int = 0
) -> list[EventType]:
    lang = language(tracker)
    window = find_window(request, now=datetime.now(timezone.utc))
    audience = audience_in(request)
    kind = "safe_space" if asks_for_safe_space(request) else "event"
    per_page = get_settings().results_per_page
    client = NavigatorApi(get_settings())
    try:
        found = client.events(
            lang=lang,
            near=location,
            start=window.start if window else None,
            end=window.end if window else None,
            audience=audience,
            kind="safe_space" if kind == "safe_space" else None,  # "events" also lists safe-space hours
            limit=offset + per_page + 1,
        )
    except BadPlace:
        dispatcher.utter_message(text=t("bad_place", lang))
        return [SlotSet("location", None), SlotSet("event_request", request)]
    except ApiUnavailable as exc:
        log.warning("event search failed: %s", exc)  # the reason only; never the resident's words
        dispatcher.utter_message(text=localized(TEXT, "unavailable", lang))
        return []
    finally:
        client.close()
    page = found[offset : offset + per_page]
    heading = describe(lang, kind=kind, audience=audience, window=window, place=location)
    text, shown = events_message(
        page, lang, heading=heading, more=len(found) > offset + per_page, ask_place=not location and offset == 0
    )
    if offset and not page:
        text = t("no_more", lang)
    dispatcher.utter_message(text=text)
    return [
        SlotSet("event_request", request),
        SlotSet("events_shown", float(offset + shown)),
        # A number now picks nothing from an older program list.
        SlotSet("results", None),
        SlotSet("chosen_program", None),
    ]


class ActionFindEvents(Action):
    def name(self) -> str:
        return "action_find_events"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = (tracker.latest_message.get("text") or "").strip()
        return run_events(dispatcher, tracker, text, tracker.get_slot("location"))
