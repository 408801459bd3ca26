"""A partner's calendar feed for the bot's event tests, written relative to now so "this weekend" always has events,
and imported into a database the way an operator does it (`python -m api.events import FILE`).

Standard library and knowledge/ only: the action tests run it from the bot's environment (Python 3.10).

Around Englewood this weekend: a teen open gym there, a safe haven for youth in Little Village, a teen art night in
Rogers Park (farthest), and a seniors' bingo (not for teens); a youth league in Englewood after the weekend. Near
60623 (South Lawndale), after the weekend: a family health fair on Tuesday, and a family movie night in Rogers Park on
Monday (sooner, but farther).
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timedelta
from pathlib import Path

from knowledge.when import chicago, window_for

ROOT = Path(__file__).resolve().parents[1]

# title EN, title ES, area, address, categories; times are filled in by write_feed.
EVENTS = {
    "teen-gym": ("Teen Open Gym", "Gimnasio abierto para adolescentes", "Englewood", "6301 S Halsted St", "Teens"),
    "safe-haven": ("Safe Haven at Toman Library", "Espacio seguro en la biblioteca Toman", "Little Village",
                   "2708 S Pulaski Rd", "Safe space,Youth"),
    "teen-art": ("Teen Art Night", "Noche de arte para adolescentes", "Rogers Park", "1545 W Morse Ave", "Teens"),
    "senior-bingo": ("Senior Bingo", "Bingo para personas mayores", "Englewood", "6120 S Racine Ave", "Seniors"),
    "youth-league": ("Youth Basketball League", "Liga de baloncesto juvenil", "Englewood", "6345 S Wentworth Ave",
                     "Youth"),
    "family-fair": ("Family Health Fair", "Feria de salud para familias", "South Lawndale", "3120 S Kostner Ave",
                    "Families"),
    "family-movie": ("Family Movie Night", "Noche de cine familiar", "Rogers Park", "7000 N Sheridan Rd", "Families"),
}  # fmt: skip


def _local(moment: datetime) -> str:
    return moment.astimezone(chicago()).strftime("%Y%m%dT%H%M%S")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")


def starts(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """Each event's start and end. This weekend's have not ended and overlap the weekend whatever `now` is: they start
    at the weekend's beginning or an hour ago, whichever is later."""
    weekend = window_for("weekend", now=now)
    soon = max(weekend.start, now - timedelta(hours=1))
    hour = timedelta(hours=1)
    days = timedelta(days=1)
    return {
        "teen-gym": (soon, soon + 3 * hour),
        "safe-haven": (soon, soon + 4 * hour),
        "teen-art": (soon + hour, soon + 3 * hour),
        "senior-bingo": (soon, soon + 2 * hour),
        "youth-league": (weekend.end + 2 * days, weekend.end + 2 * days + 2 * hour),
        "family-fair": (weekend.end + 2 * days + 10 * hour, weekend.end + 2 * days + 14 * hour),
        "family-movie": (weekend.end + 18 * hour, weekend.end + 20 * hour),
    }


def write_feed(path: Path, now: datetime) -> Path:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Navigator tests//Partners' events//EN"]
    for uid, (start, end) in starts(now).items():
        title, title_es, area, address, categories = EVENTS[uid]
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}@partners.example",
            f"SUMMARY:{_escape(title)}",
            f"X-NAVIGATOR-TITLE-ES:{_escape(title_es)}",
            f"DTSTART;TZID=America/Chicago:{_local(start)}",
            f"DTEND;TZID=America/Chicago:{_local(end)}",
            f"LOCATION:{_escape(address)}",
            f"X-NAVIGATOR-AREA:{area}",
            f"CATEGORIES:{categories}",
            "X-NAVIGATOR-LANGUAGES:en,es",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def import_feed(path: Path, env: dict[str, str]) -> str:
    """`python -m api.events import FILE` in the api's environment, against env's NAVIGATOR_DATABASE_URL."""
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "api.events", "import", str(path)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    if done.returncode != 0 or "skipped: 0" not in done.stdout:
        raise AssertionError(f"import failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    return done.stdout
