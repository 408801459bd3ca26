"""When a resident means, for events: "this weekend", "tomorrow", "el sábado", "hoy" -> a window of Chicago time;
and how an event's time reads in one SMS line ("Sat Nov 28, 2-5pm", "sáb 28 nov, de 2 a 5 pm").

Standard library only and Python 3.10-compatible, so the action server (the bot's environment) can use the same
words as the api's `GET /api/v1/events?when=...`. Pure: the caller passes `now`.

Windows are half-open [start, end) and meant to be matched by overlap (an event counts when it ends after start and
starts before end), so "today" at 3 pm still finds the safe space open since noon.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
DAY_ABBR = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
}
MONTH_ABBR = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}
# Evenings start here: "tonight" and a weekend's Friday evening.
EVENING = time(17)
# "now": what is on, or starts within this long.
SOON = timedelta(hours=2)


@cache
def chicago() -> ZoneInfo:
    return ZoneInfo("America/Chicago")


@dataclass(frozen=True)
class Window:
    start: datetime  # aware, Chicago time
    end: datetime  # exclusive
    key: str  # what was understood: now, today, tonight, tomorrow, day_after_tomorrow, weekend, next_weekend,
    # week, next_week, or a weekday (monday ... sunday)

    def label(self, lang: str) -> str:
        """The window in the resident's words: "this weekend", "el sábado 28 de noviembre"."""
        es = lang == "es"
        if self.key in WEEKDAYS_EN:
            day = self.start.date()
            if es:
                return f"el {WEEKDAYS_ES[day.weekday()]} {day.day} de {_MONTH_ES[day.month - 1]}"
            return f"{WEEKDAYS_EN[day.weekday()].capitalize()}, {MONTH_ABBR['en'][day.month - 1]} {day.day}"
        return (_LABELS_ES if es else _LABELS_EN)[self.key]


_MONTH_ES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
_LABELS_EN = {
    "now": "now",
    "today": "today",
    "tonight": "tonight",
    "tomorrow": "tomorrow",
    "day_after_tomorrow": "the day after tomorrow",
    "weekend": "this weekend",
    "next_weekend": "next weekend",
    "week": "this week",
    "next_week": "next week",
}
_LABELS_ES = {
    "now": "ahora",
    "today": "hoy",
    "tonight": "esta noche",
    "tomorrow": "mañana",
    "day_after_tomorrow": "pasado mañana",
    "weekend": "este fin de semana",
    "next_weekend": "el próximo fin de semana",
    "week": "esta semana",
    "next_week": "la próxima semana",
}


def _plain(text: str) -> str:
    """Lowercase, no accents, words separated by one space: "¿Mañana?" -> "manana"."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.findall(r"[a-z0-9]+", text))


def _words(*alternatives: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_DAY_NAMES = {name: i for i, name in enumerate(WEEKDAYS_EN)} | {_plain(name): i for i, name in enumerate(WEEKDAYS_ES)}
# Checked in this order: the more specific phrase first ("next weekend" before "weekend", "pasado mañana" before
# "mañana", a weekday before "tomorrow" so "tomorrow, Saturday" is the Saturday).
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("next_weekend", _words(r"next (?:weekend|wknd)", r"(?:proximo|siguiente) (?:fin de semana|finde)",
                            r"(?:fin de semana|finde) (?:que viene|proximo|siguiente)")),
    ("weekend", _words("weekend", "wknd", "wkend", "fin de semana", "finde", "fines de semana")),
    ("next_week", _words("next week", r"(?:proxima|siguiente) semana", r"semana (?:que viene|proxima|siguiente)")),
    ("weekday", _words(*(rf"{name}s?" for name in _DAY_NAMES))),
    ("day_after_tomorrow", _words("day after tomorrow", "pasado manana")),
    # "mañana" is also "morning": "por la mañana", "esta mañana" are not tomorrow.
    ("tomorrow", _words("tomorrow", "tmrw", "tmr", "tomorow", "tommorow", "2morrow", "2moro",
                        r"(?<!la )(?<!esta )manana")),
    ("tonight", _words("tonight", "tonite", "2nite", "this evening", "esta noche", r"hoy (?:en|por) la noche")),
    ("today", _words("today", "2day", "hoy", "this morning", "this afternoon", "esta manana", "esta tarde")),
    ("week", _words("this week", "esta semana")),
    ("now", _words("right now", "now", "open now", "ahora", "ahorita", "ahora mismo")),
)  # fmt: skip


def _at(day: date, hour: time = time(0)) -> datetime:
    return datetime.combine(day, hour, tzinfo=chicago())


def _day(day: date, key: str) -> Window:
    return Window(_at(day), _at(day + timedelta(days=1)), key)


def _weekend(today: date, key: str) -> Window:
    # The weekend we are in (from Friday evening to Sunday night), or the coming one from Monday to Thursday.
    weekday = today.weekday()
    friday = today + timedelta(days=4 - weekday) if weekday <= 4 else today - timedelta(days=weekday - 4)
    return Window(_at(friday, EVENING), _at(friday + timedelta(days=3)), key)


def window_for(key: str, *, now: datetime, next_one: bool = False) -> Window:
    """The window of a key (see Window.key) as seen at `now` (aware). next_one: "next Saturday" said on a Saturday
    is a week away; otherwise a weekday is the coming one, today included."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    local = now.astimezone(chicago())
    today = local.date()
    if key == "now":
        return Window(local, local + SOON, key)
    if key == "today":
        return _day(today, key)
    if key == "tonight":
        return Window(_at(today, EVENING), _at(today + timedelta(days=1)), key)
    if key == "tomorrow":
        return _day(today + timedelta(days=1), key)
    if key == "day_after_tomorrow":
        return _day(today + timedelta(days=2), key)
    if key == "weekend":
        return _weekend(today, key)
    if key == "next_weekend":
        return _weekend(today + timedelta(days=7), key)
    monday = today - timedelta(days=today.weekday())
    if key == "week":
        return Window(_at(today), _at(monday + timedelta(days=7)), key)
    if key == "next_week":
        return Window(_at(monday + timedelta(days=7)), _at(monday + timedelta(days=14)), key)
    if key in WEEKDAYS_EN:
        ahead = (WEEKDAYS_EN.index(key) - today.weekday()) % 7
        if ahead == 0 and next_one:
            ahead = 7
        return _day(today + timedelta(days=ahead), key)
    raise ValueError(f"unknown window {key!r}")


def find_window(text: str, *, now: datetime) -> Window | None:
    """The time a message speaks of, in English or Spanish ("anything for teens this weekend?", "¿eventos el
    sábado?"), or None when it names none."""
    plain = _plain(text)
    for key, pattern in _PATTERNS:
        found = pattern.search(plain)
        if found is None:
            continue
        if key != "weekday":
            return window_for(key, now=now)
        name = found.group(0)
        day = _DAY_NAMES.get(name, _DAY_NAMES.get(name[:-1]))
        before = plain[: found.start()].split()[-1:]
        next_one = bool(before) and before[0] in ("next", "proximo", "siguiente")
        return window_for(WEEKDAYS_EN[day], now=now, next_one=next_one)  # type: ignore[index]
    return None


# --- an event's time in one SMS line --------------------------------------------------------------------------


def _clock(moment: datetime, lang: str, *, meridiem: bool = True) -> str:
    """2pm, 2:30pm, 12pm (noon); in Spanish 2 pm. Chicago residents read the 12-hour clock in both languages."""
    hour = moment.hour % 12 or 12
    text = f"{hour}:{moment.minute:02d}" if moment.minute else str(hour)
    if not meridiem:
        return text
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{text} {suffix}" if lang == "es" else f"{text}{suffix}"


def _date(day: date, lang: str) -> str:
    month = MONTH_ABBR[lang][day.month - 1]
    name = DAY_ABBR[lang][day.weekday()]
    return f"{name} {day.day} {month}" if lang == "es" else f"{name} {month} {day.day}"


def _relative(day: date, today: date | None, lang: str) -> str:
    if today is not None and day == today:
        return "Hoy" if lang == "es" else "Today"
    if today is not None and day == today + timedelta(days=1):
        return "Mañana" if lang == "es" else "Tomorrow"
    return _date(day, lang)


def span_text(starts_at: datetime, ends_at: datetime, *, all_day: bool, lang: str, now: datetime | None = None) -> str:
    """An event's time as a short phrase in Chicago time: "Sat Nov 28, 2-5pm", "Today, 10am-1pm",
    "sáb 28 nov, de 2 a 5 pm", "Hoy (todo el día)". With `now`, today and tomorrow are said so."""
    lang = "es" if lang == "es" else "en"
    zone = chicago()
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    today = now.astimezone(zone).date() if now is not None else None
    first = _relative(start.date(), today, lang)
    if all_day:
        last_day = (end - timedelta(seconds=1)).date() if end > start else start.date()
        if last_day == start.date():
            return f"{first} (todo el día)" if lang == "es" else f"{first} (all day)"
        return f"{first} - {_relative(last_day, today, lang)}"
    if end.date() != start.date() and not (end.time() == time(0) and end.date() == start.date() + timedelta(days=1)):
        # Over midnight and beyond: both ends in full.
        return f"{first} {_clock(start, lang)} - {_relative(end.date(), today, lang)} {_clock(end, lang)}"
    same_half = (start.hour < 12) == (end.hour < 12) and end.time() != time(0)
    if lang == "es":
        return f"{first}, de {_clock(start, lang, meridiem=not same_half)} a {_clock(end, lang)}"
    return f"{first}, {_clock(start, lang, meridiem=not same_half)}-{_clock(end, lang)}"
