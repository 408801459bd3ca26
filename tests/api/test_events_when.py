"""The time a resident asks about ("this weekend", "el sábado", "mañana") as a window of Chicago time, and an
event's time as its SMS line says it (knowledge/when.py): pure, so every case is at a fixed `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from knowledge.sms import is_gsm7, to_gsm7
from knowledge.when import chicago, find_window, span_text, window_for


def at(day: str, hour: int = 0, minute: int = 0) -> datetime:
    """A Chicago wall-clock time: at("2026-11-26", 15) is Thanksgiving at 3 pm."""
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, tzinfo=chicago())


THURSDAY = at("2026-11-26", 15)  # Thanksgiving, 3 pm


@pytest.mark.parametrize(
    ("text", "key", "start", "end"),
    [
        # English
        ("anything for teens this weekend in Englewood?", "weekend", at("2026-11-27", 17), at("2026-11-30")),
        ("events today", "today", at("2026-11-26"), at("2026-11-27")),
        ("what's on tonight", "tonight", at("2026-11-26", 17), at("2026-11-27")),
        ("something tomorrow?", "tomorrow", at("2026-11-27"), at("2026-11-28")),
        ("tmrw", "tomorrow", at("2026-11-27"), at("2026-11-28")),
        ("the day after tomorrow", "day_after_tomorrow", at("2026-11-28"), at("2026-11-29")),
        ("on Saturday", "saturday", at("2026-11-28"), at("2026-11-29")),
        ("MONDAY", "monday", at("2026-11-30"), at("2026-12-01")),
        ("thursday", "thursday", at("2026-11-26"), at("2026-11-27")),  # today is Thursday
        ("next thursday", "thursday", at("2026-12-03"), at("2026-12-04")),
        ("tomorrow, Saturday", "saturday", at("2026-11-28"), at("2026-11-29")),  # the day named wins
        ("next weekend", "next_weekend", at("2026-12-04", 17), at("2026-12-07")),
        ("this week", "week", at("2026-11-26"), at("2026-11-30")),
        ("next week", "next_week", at("2026-11-30"), at("2026-12-07")),
        ("a safe space open right now", "now", THURSDAY, THURSDAY + timedelta(hours=2)),
        # Spanish, with and without accents, as residents type them
        ("¿algo para jóvenes este fin de semana?", "weekend", at("2026-11-27", 17), at("2026-11-30")),
        ("el finde", "weekend", at("2026-11-27", 17), at("2026-11-30")),
        ("hoy", "today", at("2026-11-26"), at("2026-11-27")),
        ("esta noche", "tonight", at("2026-11-26", 17), at("2026-11-27")),
        ("hoy en la noche", "tonight", at("2026-11-26", 17), at("2026-11-27")),
        ("mañana", "tomorrow", at("2026-11-27"), at("2026-11-28")),
        ("manana", "tomorrow", at("2026-11-27"), at("2026-11-28")),
        ("mañana por la mañana", "tomorrow", at("2026-11-27"), at("2026-11-28")),
        ("esta mañana", "today", at("2026-11-26"), at("2026-11-27")),
        ("pasado mañana", "day_after_tomorrow", at("2026-11-28"), at("2026-11-29")),
        ("eventos el sábado", "saturday", at("2026-11-28"), at("2026-11-29")),
        ("los SABADOS", "saturday", at("2026-11-28"), at("2026-11-29")),
        ("el miércoles", "wednesday", at("2026-12-02"), at("2026-12-03")),
        ("el próximo jueves", "thursday", at("2026-12-03"), at("2026-12-04")),
        ("el próximo fin de semana", "next_weekend", at("2026-12-04", 17), at("2026-12-07")),
        ("esta semana", "week", at("2026-11-26"), at("2026-11-30")),
        ("la semana que viene", "next_week", at("2026-11-30"), at("2026-12-07")),
        ("ahorita", "now", THURSDAY, THURSDAY + timedelta(hours=2)),
    ],
)
def test_phrases_in_both_languages(text, key, start, end):
    window = find_window(text, now=THURSDAY)
    assert window is not None, text
    assert (window.key, window.start, window.end) == (key, start, end)
    assert window.start.tzinfo is not None and window.start.utcoffset() == timedelta(hours=-6)


@pytest.mark.parametrize(
    "text", ["¿eventos para familias cerca de 60623?", "por la mañana", "food near me", "", "sat down"]
)
def test_no_time_named_is_none(text):
    assert find_window(text, now=THURSDAY) is None


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (at("2026-11-23", 9), at("2026-11-27", 17)),  # Monday: the coming weekend
        (at("2026-11-27", 20), at("2026-11-27", 17)),  # Friday night: this one, already begun
        (at("2026-11-28", 11), at("2026-11-27", 17)),  # Saturday
        (at("2026-11-29", 23, 30), at("2026-11-27", 17)),  # Sunday night: still this weekend
    ],
)
def test_this_weekend_is_the_one_we_are_in_or_the_next(now, start):
    window = window_for("weekend", now=now)
    assert (window.start, window.end) == (start, start.replace(hour=0) + timedelta(days=3))


def test_days_are_chicago_days_whatever_the_clock_of_now():
    # 3 am UTC on Friday is still Thursday evening in Chicago.
    window = find_window("today", now=datetime(2026, 11, 27, 3, tzinfo=UTC))
    assert (window.start, window.end) == (at("2026-11-26"), at("2026-11-27"))
    with pytest.raises(ValueError, match="timezone-aware"):
        find_window("today", now=datetime(2026, 11, 26, 15))
    with pytest.raises(ValueError, match="unknown window"):
        window_for("fortnight", now=THURSDAY)


def test_a_day_when_the_clocks_change_is_midnight_to_midnight():
    # Sunday November 1, 2026: 25 hours in Chicago; Sunday March 14, 2027: 23.
    fall = find_window("tomorrow", now=at("2026-10-31", 12))
    # (Aware datetimes of one zone subtract on the wall clock: count in UTC.)
    assert fall.end.astimezone(UTC) - fall.start.astimezone(UTC) == timedelta(hours=25)
    assert (fall.start.utcoffset(), fall.end.utcoffset()) == (timedelta(hours=-5), timedelta(hours=-6))
    spring = find_window("el domingo", now=at("2027-03-10", 12))
    assert spring.start == at("2027-03-14")
    assert spring.end.astimezone(UTC) - spring.start.astimezone(UTC) == timedelta(hours=23)


def test_labels_say_the_window_in_the_residents_language():
    saturday = find_window("saturday", now=THURSDAY)
    assert saturday.label("en") == "Saturday, Nov 28"
    assert saturday.label("es") == "el sábado 28 de noviembre"
    weekend = find_window("este fin de semana", now=THURSDAY)
    assert (weekend.label("en"), weekend.label("es")) == ("this weekend", "este fin de semana")
    assert find_window("mañana", now=THURSDAY).label("es") == "mañana"


@pytest.mark.parametrize(
    ("start", "end", "all_day", "en", "es"),
    [
        (at("2026-11-28", 14), at("2026-11-28", 17), False, "Sat Nov 28, 2-5pm", "sáb 28 nov, de 2 a 5 pm"),
        (at("2026-11-28", 10), at("2026-11-28", 13, 30), False,
         "Sat Nov 28, 10am-1:30pm", "sáb 28 nov, de 10 am a 1:30 pm"),
        (at("2026-11-28", 12), at("2026-11-28", 13), False, "Sat Nov 28, 12-1pm", "sáb 28 nov, de 12 a 1 pm"),
        (at("2026-11-28", 20), at("2026-11-29"), False, "Sat Nov 28, 8pm-12am", "sáb 28 nov, de 8 pm a 12 am"),
        (at("2026-11-28", 22), at("2026-11-29", 2), False,
         "Sat Nov 28 10pm - Sun Nov 29 2am", "sáb 28 nov 10 pm - dom 29 nov 2 am"),
        (at("2026-11-28"), at("2026-11-29"), True, "Sat Nov 28 (all day)", "sáb 28 nov (todo el día)"),
        (at("2026-12-04"), at("2026-12-07"), True, "Fri Dec 4 - Sun Dec 6", "vie 4 dic - dom 6 dic"),
    ],
)  # fmt: skip
def test_an_events_time_in_words(start, end, all_day, en, es):
    assert span_text(start, end, all_day=all_day, lang="en") == en
    assert span_text(start.astimezone(UTC), end.astimezone(UTC), all_day=all_day, lang="es") == es
    assert is_gsm7(to_gsm7(es))


def test_today_and_tomorrow_are_said_so():
    assert span_text(at("2026-11-26", 18), at("2026-11-26", 20), all_day=False, lang="en", now=THURSDAY) == (
        "Today, 6-8pm"
    )
    assert span_text(at("2026-11-27", 9), at("2026-11-27", 11), all_day=False, lang="es", now=THURSDAY) == (
        "Mañana, de 9 a 11 am"
    )
    assert span_text(at("2026-11-28"), at("2026-11-29"), all_day=True, lang="en", now=THURSDAY) == (
        "Sat Nov 28 (all day)"
    )
