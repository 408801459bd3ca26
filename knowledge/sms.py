"""How a program reads in one SMS: the single line the catalog promises fits one segment."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from knowledge.schema import Program

# A message of one segment holds 160 GSM-7 characters.
SEGMENT_CHARS = 160

# GSM 03.38 basic character set; the extension table's characters cost two.
GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€")
# Typographic quotes, dashes and ellipses (by code point, so the source stays plain ASCII) -> GSM-7.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " ",
}  # fmt: skip


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text)


def _gsm7_char(ch: str) -> str | None:
    """ch in GSM-7 (one or more characters), or None when GSM-7 has nothing like it."""
    ch = _REPLACEMENTS.get(ch, ch)
    if is_gsm7(ch):
        return ch
    base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
    return base if base and all(c in GSM7_BASIC for c in base) else None


def to_gsm7(text: str) -> str:
    """Replace what GSM-7 lacks with its nearest plain letter (á -> a), so a message stays 160 per segment."""
    return "".join(_gsm7_char(ch) or "?" for ch in text)


def gsm7_length(text: str) -> int:
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


ContactKind = Literal["phone", "text", "website", "none"]


def contact_kind(program: Program) -> ContactKind:
    """Which way a list shows to reach a program: its first voice number, else its text line, else its website.

    The one place this is decided: the validator's one-segment check, the bot's lists and the web chat's cards
    must agree on it.
    """
    if program.primary_phone is not None:
        return "phone"
    if program.text_line is not None:
        return "text"
    return "website" if program.website is not None else "none"


def contact(program: Program, lang: str) -> str:
    """That way as a list line shows it: '312-555-0100', 'text 741741', 'example.org/help'."""
    kind = contact_kind(program)
    if kind == "phone":
        return program.primary_phone.number
    if kind == "text":
        return ("texto " if lang == "es" else "text ") + program.text_line.number
    if kind == "website":
        return str(program.website).removeprefix("https://").removeprefix("http://").rstrip("/")
    return ""


def sms_line(program: Program, lang: str) -> str:
    """'Name: summary 312-555-0100' as sent in a list, normalised to GSM-7."""
    return to_gsm7(f"{program.short_name.get(lang)}: {program.summary.get(lang)} {contact(program, lang)}".strip())


# One segment alone holds 160 GSM-7 / 70 UCS-2 characters; in a concatenated message each holds 153 / 67.
GSM7_PART, UCS2_SINGLE, UCS2_PART = 153, 70, 67
MAX_SEGMENTS = 3
# A phone number ("312-555-0100", "(312) 555-0100", "+1 312 555 0100") is never cut in two.
_PHONE = r"(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}"
_WORD = re.compile(rf"{_PHONE}|\S+")


def for_sms(text: str) -> str:
    """GSM-7 where the language allows it (Spanish loses its accents, not its meaning); a script GSM-7 cannot
    spell (Chinese, Arabic...) is sent as written, in UCS-2, rather than as question marks."""
    if any(ch.isalpha() and _gsm7_char(ch) is None for ch in text):
        return text
    return to_gsm7(text)


def segments(text: str) -> int:
    """How many SMS segments a carrier bills for text."""
    if is_gsm7(text):
        size = gsm7_length(text)
        return 1 if size <= SEGMENT_CHARS else -(-size // GSM7_PART)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= UCS2_SINGLE else -(-units // UCS2_PART)


def split_sms(text: str, max_segments: int = MAX_SEGMENTS) -> list[str]:
    """One bot message as SMS messages of at most max_segments each, normalised by for_sms.

    Splits between lines first (a numbered item is one line), then between words; a phone number is one word.
    """
    text = for_sms(text).strip()
    if segments(text) <= max_segments:
        return [text] if text else []
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        for piece in _fit_line(line, max_segments):
            joined = f"{current}\n{piece}" if current else piece
            if segments(joined) <= max_segments:
                current = joined
            else:
                parts.append(current)
                current = piece
    if current:
        parts.append(current)
    return [p for p in (part.strip() for part in parts) if p]


def _fit_line(line: str, max_segments: int) -> list[str]:
    """A line too long for one message, cut between words; a single word longer than that (a URL) is cut as is."""
    if segments(line) <= max_segments:
        return [line]
    pieces: list[str] = []
    current = ""
    for word in _WORD.findall(line):
        joined = f"{current} {word}" if current else word
        if segments(joined) <= max_segments:
            current = joined
            continue
        if current:
            pieces.append(current)
        while segments(word) > max_segments:
            cut = _longest_prefix(word, max_segments)
            pieces.append(word[:cut])
            word = word[cut:]
        current = word
    if current:
        pieces.append(current)
    return pieces


def _longest_prefix(word: str, max_segments: int) -> int:
    cut = len(word)
    while cut > 1 and segments(word[:cut]) > max_segments:
        cut -= 1
    return cut
