import datetime as dt

from knowledge.schedule import CHICAGO, is_open
from knowledge.schema import Schedule


def weekdays_9_to_5() -> Schedule:
    return Schedule.model_validate(
        {"weekly": [{"days": ["mon", "tue", "wed", "thu", "fri"], "opens": "09:00", "closes": "17:00"}]}
    )


def chicago(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=CHICAGO)


def test_weekday_hours_in_chicago_time():
    schedule = weekdays_9_to_5()
    assert is_open(schedule, chicago(2026, 11, 25, 10, 0)) is True  # Wednesday
    assert is_open(schedule, chicago(2026, 11, 25, 17, 0)) is False  # closing time is closed
    assert is_open(schedule, chicago(2026, 11, 28, 10, 0)) is False  # Saturday


def test_utc_instants_are_converted_to_chicago_time():
    # 15:30 UTC on a Wednesday in November is 09:30 in Chicago (CST, UTC-6).
    assert is_open(weekdays_9_to_5(), dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)) is True
    # 14:30 UTC is 08:30 in Chicago: not yet open, although it is past 9 in UTC terms elsewhere.
    assert is_open(weekdays_9_to_5(), dt.datetime(2026, 11, 25, 14, 30, tzinfo=dt.UTC)) is False
    # In July Chicago is on CDT (UTC-5): 14:30 UTC is 09:30.
    assert is_open(weekdays_9_to_5(), dt.datetime(2026, 7, 15, 14, 30, tzinfo=dt.UTC)) is True


def test_overnight_hours_run_past_midnight():
    schedule = Schedule.model_validate({"weekly": [{"days": ["fri"], "opens": "20:00", "closes": "02:00"}]})
    assert is_open(schedule, chicago(2026, 11, 27, 23, 0)) is True  # Friday night
    assert is_open(schedule, chicago(2026, 11, 28, 1, 30)) is True  # early Saturday
    assert is_open(schedule, chicago(2026, 11, 28, 2, 30)) is False
    assert is_open(schedule, chicago(2026, 11, 26, 23, 0)) is False  # Thursday night


def test_always_open_and_unknown():
    assert is_open(Schedule(always_open=True), chicago(2026, 11, 25, 3, 0)) is True
    assert is_open(None, chicago(2026, 11, 25, 10, 0)) is None
    note_only = Schedule.model_validate({"note": {"en": "Call first", "es": "Llame antes"}})
    assert is_open(note_only, chicago(2026, 11, 25, 10, 0)) is None
