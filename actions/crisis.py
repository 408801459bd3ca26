"""After the crisis numbers (sent from the domain, first), offer the matching programs near the resident."""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.api_client import ApiUnavailable, BadPlace
from actions.formatting import results_message
from actions.search import api, language

log = logging.getLogger(__name__)

# Which programs to offer for each kind of crisis, and the words searched for them.
FOLLOW_UP = {
    "gbv": ("gender_based_violence", "domestic violence advocate safety planning shelter"),
    "sexual_assault": ("sexual_assault", "sexual assault survivor advocate counseling"),
    "suicide": ("mental_health", "counseling crisis support someone to talk to"),
    "child_abuse": ("crisis", "child abuse report family support"),
    "danger_now": ("victim_services", "help after violence victim support"),
}


class ActionCrisisPrograms(Action):
    def name(self) -> str:
        return "action_crisis_programs"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        kind = tracker.get_slot("crisis_type")
        if kind not in FOLLOW_UP:
            return []
        category, words = FOLLOW_UP[kind]
        lang = language(tracker)
        client = api()
        try:
            programs = client.search(words, lang=lang, near=tracker.get_slot("location"), limit=3, category=category)
        except (ApiUnavailable, BadPlace) as exc:
            # The numbers already went out from the domain; a failed follow-up adds nothing false.
            log.warning("crisis follow-up search failed: %s", type(exc).__name__)
            return []
        finally:
            client.close()
        if not programs:
            return []
        dispatcher.utter_message(text=results_message(programs, lang, first_number=1, more=False))
        return [SlotSet("results", [p.id for p in programs]), SlotSet("offset", 0.0)]
