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
from bot.components.crisis import load_lexicon
from knowledge.sms import to_gsm7

log = logging.getLogger(__name__)

# Which programs to offer for each kind of crisis, and the words searched for them.
FOLLOW_UP = {
    "gbv": ("gender_based_violence", "domestic violence advocate safety planning shelter"),
    "sexual_assault": ("sexual_assault", "sexual assault survivor advocate counseling"),
    "suicide": ("mental_health", "counseling crisis support someone to talk to"),
    "child_abuse": ("crisis", "child abuse report family support"),
    "danger_now": ("victim_services", "help after violence victim support"),
}

# The domain's answer names the most urgent kind's numbers; when a message signals more than one kind ("he is
# choking me" is danger now and partner violence), the other kinds' lines follow here, before any program list.
OTHER_LINES = {
    "gbv": {
        "en": "For abuse by a partner or at home: IL Domestic Violence Hotline 877-863-6338, call or text, 24/7.",
        "es": "Si sufre abuso de su pareja o en casa: Linea de Violencia Domestica 877-863-6338, 24 horas.",
    },
    "sexual_assault": {
        "en": "After a sexual assault: Chicago Rape Crisis Hotline 888-293-2080, 24/7.",
        "es": "Despues de una agresion sexual: Linea de Crisis por Violacion 888-293-2080, 24 horas.",
    },
    "suicide": {
        "en": "If you are thinking of suicide: call or text 988, 24/7.",
        "es": "Si piensa en el suicidio: llame o envie texto al 988, 24 horas.",
    },
    "child_abuse": {
        "en": "If a child is being hurt: DCFS hotline 1-800-252-2873, 24/7.",
        "es": "Si lastiman a un nino: linea de DCFS 1-800-252-2873, 24 horas.",
    },
}


def other_lines(text: str, primary: str, lang: str) -> str | None:
    crisis = load_lexicon().detect(text)
    kinds = [k for k in (crisis.types if crisis else ()) if k != primary and k in OTHER_LINES]
    return to_gsm7(" ".join(OTHER_LINES[k][lang] for k in kinds)) if kinds else None


class ActionCrisisPrograms(Action):
    def name(self) -> str:
        return "action_crisis_programs"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[EventType]:
        kind = tracker.get_slot("crisis_type")
        if kind not in FOLLOW_UP:
            return []
        category, words = FOLLOW_UP[kind]
        lang = language(tracker)
        extra = other_lines(tracker.latest_message.get("text") or "", kind, lang)
        if extra:
            dispatcher.utter_message(text=extra)
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
