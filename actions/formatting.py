"""SMS-shaped replies: numbered, short, plain GSM-7, never more than 3 segments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Tracker

from actions.api_client import ProgramSummary
from knowledge.sms import gsm7_length, to_gsm7

# Three segments of a concatenated SMS hold 153 GSM-7 characters each.
MAX_CHARS = 3 * 153

TEXT = {
    "open": {"en": "open now", "es": "abierto ahora"},
    "text": {"en": "text", "es": "texto"},
    "footer": {
        "en": "Reply {first}-{last} for details, MORE for more, CONNECT to have someone contact you.",
        "es": "Responda {first}-{last} para detalles, MAS para ver mas, CONECTAR para que le contacten.",
    },
    "footer_last": {
        "en": "Reply {first}-{last} for details, CONNECT to have someone contact you.",
        "es": "Responda {first}-{last} para detalles, CONECTAR para que le contacten.",
    },
    "none": {
        "en": "I found no program for that. Try other words, or call 211 (24/7) for help.",
        "es": "No encontre programas para eso. Pruebe con otras palabras o llame al 211 (24 horas).",
    },
    "no_more": {
        "en": "That's all I found. Tell me another need, or call 211 (24/7).",
        "es": "Es todo lo que encontre. Digame otra necesidad o llame al 211 (24 horas).",
    },
    "bad_place": {
        "en": "I don't know that place. Send a Chicago ZIP code or neighborhood, like 60623 or Pilsen.",
        "es": "No conozco ese lugar. Envie un codigo postal o barrio de Chicago, como 60623 o Pilsen.",
    },
    "ask_place": {
        "en": "Send your ZIP or neighborhood for places near you.",
        "es": "Envie su codigo postal o barrio para ver lugares cerca.",
    },
}

# Screens only (the web chat's cards): SMS never carries it, so its length limits are untouched.
FACTS_CHECKED = {"en": "Facts checked: {month} {year}", "es": "Datos verificados: {month} de {year}"}
MONTHS = {
    "en": "January February March April May June July August September October November December".split(),
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split(),
}


def facts_checked(verified_on: str | None, lang: str) -> str | None:
    """The card's line from the api's ISO day: "Facts checked: November 2026", "Datos verificados: noviembre de 2026".

    None when the day is missing or unreadable: the card then says nothing rather than something wrong."""
    try:
        day = dt.date.fromisoformat(verified_on or "")
    except ValueError:
        return None
    key = "es" if lang == "es" else "en"
    return FACTS_CHECKED[key].format(month=MONTHS[key][day.month - 1], year=day.year)


def language(tracker: Tracker) -> str:
    """The language to answer in: the slot the language detector and LANGUAGE set."""
    return "es" if tracker.get_slot("language") == "es" else "en"


def localized(table: dict[str, dict[str, str]], key: str, lang: str, **values: Any) -> str:
    """Spanish for "es", English otherwise: the bot speaks only these two."""
    return table[key]["es" if lang == "es" else "en"].format(**values)


def t(key: str, lang: str, **values: Any) -> str:
    return localized(TEXT, key, lang, **values)


def item(number: int, program: ProgramSummary, lang: str, *, with_summary: bool = True) -> str:
    extras = []
    if program.open_now:
        extras.append(t("open", lang))
    if program.distance_km is not None:
        extras.append(f"{program.distance_km:.1f} km")
    tail = f" ({', '.join(extras)})" if extras else ""
    summary = f": {program.summary}" if with_summary else ""
    return f"{number}. {program.short_name}{summary} {program.contact}{tail}"


def footer(lang: str, *, first_number: int, count: int, more: bool, ask_place: bool) -> str:
    """What follows a list: how to pick one, MORE, and the ZIP question when no place is known yet."""
    text = t("footer" if more else "footer_last", lang, first=first_number, last=first_number + count - 1)
    return f"{t('ask_place', lang)} {text}" if ask_place else text


def results_message(
    programs: list[ProgramSummary], lang: str, *, first_number: int, more: bool, ask_place: bool = False
) -> str:
    """The numbered list; summaries go first, then items, until it fits three segments."""
    footer_text = footer(lang, first_number=first_number, count=len(programs), more=more, ask_place=ask_place)
    for with_summary in (True, False):
        shown = list(programs)
        while shown:
            lines = [item(first_number + i, p, lang, with_summary=with_summary) for i, p in enumerate(shown)]
            text = to_gsm7("\n".join([*lines, footer_text]))
            if gsm7_length(text) <= MAX_CHARS:
                return text
            shown = shown[:-1] if not with_summary else []
    return to_gsm7(footer_text)[:MAX_CHARS]


def program_cards(
    programs: list[ProgramSummary], lang: str, *, first_number: int, more: bool, ask_place: bool = False
) -> dict[str, Any]:
    """The same list for a screen (the web chat draws cards from it); SMS channels ignore it."""
    return {
        "kind": "programs",
        "lang": lang,
        "first_number": first_number,
        "more": more,
        "footer": footer(lang, first_number=first_number, count=len(programs), more=more, ask_place=ask_place),
        "programs": [
            {
                "number": first_number + i,
                "id": p.id,
                "name": p.short_name,
                "summary": p.summary,
                "contact": p.contact,
                "phone": p.contact if p.contact_kind == "phone" else None,
                "text_line": p.text_line if p.contact_kind == "text" else None,
                "website": p.website if p.contact_kind == "website" else None,
                "distance_km": p.distance_km,
                "open_now": p.open_now,
                "verified_on": p.verified_on,
                "facts_checked": facts_checked(p.verified_on, lang),
            }
            for i, p in enumerate(programs)
        ],
    }


def details_message(program: dict[str, Any], lang: str) -> str:
    parts = [f"{program['name']}: {program['description']}"]
    phones = [f"{p['number']}" + (f" ({p['label']})" if p.get("label") else "") for p in program.get("phones", [])]
    if phones:
        parts.append(("Tel: " if lang == "es" else "Phone: ") + "; ".join(phones[:2]))
    if program.get("text_line"):
        parts.append(f"{t('text', lang).capitalize()}: {program['text_line']['number']}")
    addresses = [loc["address"] for loc in program.get("locations", []) if loc.get("address")]
    if addresses:
        parts.append(addresses[0])
    schedule = program.get("schedule") or {}
    if schedule.get("always_open"):
        parts.append("24/7")
    elif schedule.get("note"):
        parts.append(schedule["note"])
    if program.get("website"):
        parts.append(program["website"])
    text = to_gsm7("\n".join(parts))
    if gsm7_length(text) <= MAX_CHARS:
        return text
    # Drop the description before anything a resident needs to act on.
    short = to_gsm7("\n".join([f"{program['name']}: {program['summary']}", *parts[1:]]))
    return short if gsm7_length(short) <= MAX_CHARS else short[: MAX_CHARS - 3] + "..."
