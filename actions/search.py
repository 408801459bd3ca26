"""Finding programs: a need in the resident's words, a place given early or late, MORE, and a number for details."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api_client import ApiUnavailable, BadPlace, NavigatorApi, ProgramSummary
from actions.events import run_events
from actions.formatting import details_message, language, program_cards, results_message, t
from actions.settings import get_settings
from knowledge.language import STOP_EN, STOP_ES, words

log = logging.getLogger(__name__)

# Safety rule 1: ordinary messages never get 911/988 replies. Those lines reach residents through the crisis path
# (detected messages), so a search list leaves out programs whose number to call is one of them.
EMERGENCY_NUMBERS = {"911", "988"}
# Words that only frame a place ("I live near ...", "estoy en ..."): what is left besides them is a need.
PLACE_FRAME = set(
    "near nearby in at around by zip code area neighborhood hood live living located from close to "
    "cerca de en por vivo estoy codigo postal barrio zona colonia area".split()
)
# Intents whose text is itself the need; anything else (a bare place, "more") reuses the stored need.
NEED_INTENTS = {"find_program", "nlu_fallback", "out_of_scope"}


def api() -> NavigatorApi:
    return NavigatorApi(get_settings())


def unavailable(dispatcher: CollectingDispatcher) -> list[EventType]:
    dispatcher.utter_message(response="utter_search_unavailable")
    return []


def run_search(
    dispatcher: CollectingDispatcher, tracker: Tracker, need: str, location: str | None, offset: int = 0
) -> list[EventType]:
    lang = language(tracker)
    per_page = get_settings().results_per_page
    client = api()
    try:
        found = client.search(need, lang=lang, near=location, limit=offset + per_page + 3)
    except BadPlace:
        dispatcher.utter_message(text=t("bad_place", lang))
        return [SlotSet("location", None), SlotSet("need", need)]
    except ApiUnavailable as exc:
        log.warning("search failed: %s", exc)  # the reason only; never the resident's words
        return unavailable(dispatcher)
    finally:
        client.close()
    programs = [p for p in found if p.contact not in EMERGENCY_NUMBERS]
    page = programs[offset : offset + per_page]
    if not page:
        dispatcher.utter_message(text=t("no_more" if offset else "none", lang))
        return [SlotSet("need", need), SlotSet("offset", float(offset))]
    more = len(programs) > offset + per_page and offset + per_page < 20
    ask_place = not location and offset == 0
    dispatcher.utter_message(
        text=results_message(page, lang, first_number=offset + 1, more=more, ask_place=ask_place),
        json_message=program_cards(page, lang, first_number=offset + 1, more=more, ask_place=ask_place),
    )
    shown = [p.id for p in programs[: offset + per_page]]
    return [
        SlotSet("need", need),
        SlotSet("event_request", None),
        SlotSet("results", shown),
        SlotSet("offset", float(offset)),
        SlotSet("chosen_program", None),
    ]


class ActionSearchPrograms(Action):
    def name(self) -> str:
        return "action_search_programs"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        text = (tracker.latest_message.get("text") or "").strip()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        need = text if intent in NEED_INTENTS or not tracker.get_slot("need") else tracker.get_slot("need")
        if not need:
            dispatcher.utter_message(response="utter_ask_need")
            return []
        return run_search(dispatcher, tracker, need, tracker.get_slot("location"))


class ActionSetLocation(Action):
    """A place on its own: search again for the stored need there, or ask for the need."""

    def name(self) -> str:
        return "action_set_location"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        location = tracker.get_slot("location")
        text = tracker.latest_message.get("text") or ""
        # "coats Chatham" may be classified as a bare place: the words around the place are then the need.
        if need_besides_place(text, location or ""):
            need = text
        elif tracker.get_slot("event_request"):
            # "events this weekend" and then "60623": the same events, near there.
            return run_events(dispatcher, tracker, tracker.get_slot("event_request"), location)
        else:
            need = tracker.get_slot("need")
        if not need:
            dispatcher.utter_message(response="utter_ask_need")
            return []
        return run_search(dispatcher, tracker, need, location)


def need_besides_place(text: str, place: str) -> bool:
    rest = set(words(text)) - set(words(place)) - PLACE_FRAME - STOP_EN - STOP_ES
    return any(not w.isdigit() for w in rest)


class ActionShowMore(Action):
    def name(self) -> str:
        return "action_show_more"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        if request := tracker.get_slot("event_request"):
            shown = int(tracker.get_slot("events_shown") or 0)
            return run_events(dispatcher, tracker, request, tracker.get_slot("location"), offset=shown)
        need = tracker.get_slot("need")
        if not need:
            dispatcher.utter_message(response="utter_ask_need")
            return []
        offset = int(tracker.get_slot("offset") or 0) + get_settings().results_per_page
        return run_search(dispatcher, tracker, need, tracker.get_slot("location"), offset=offset)


class ActionProgramDetails(Action):
    def name(self) -> str:
        return "action_program_details"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        lang = language(tracker)
        results: list[str] = tracker.get_slot("results") or []
        number = next(tracker.get_latest_entity_values("number"), None) or (tracker.latest_message.get("text") or "")
        digits = "".join(ch for ch in str(number) if ch.isdigit())
        if not results:
            dispatcher.utter_message(response="utter_ask_need")
            return []
        if not digits or not 1 <= int(digits) <= len(results):
            dispatcher.utter_message(
                text=("Responda un numero del 1 al {n}." if lang == "es" else "Reply a number from 1 to {n}.").format(
                    n=len(results)
                )
            )
            return []
        client = api()
        try:
            program = client.program(results[int(digits) - 1], lang=lang)
        except ApiUnavailable as exc:
            log.warning("details failed: %s", exc)
            return unavailable(dispatcher)
        finally:
            client.close()
        if program is None:
            return unavailable(dispatcher)
        dispatcher.utter_message(text=details_message(program, lang))
        # A referral asked for now is about this program.
        return [SlotSet("chosen_program", program["id"])]


__all__ = ["ActionProgramDetails", "ActionSearchPrograms", "ActionSetLocation", "ActionShowMore", "ProgramSummary"]
