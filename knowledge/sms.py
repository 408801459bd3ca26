"""How a program reads in one SMS: the single line the catalog promises fits one segment."""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

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


def to_gsm7(text: str) -> str:
    """Replace what GSM-7 lacks with its nearest plain letter (á -> a), so a message stays 160 per segment."""
    out = []
    for ch in text:
        ch = _REPLACEMENTS.get(ch, ch)
        if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(c in GSM7_BASIC for c in base) else "?")
    return "".join(out)


def gsm7_length(text: str) -> int:
    return sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)


def contact(program: Program, lang: str) -> str:
    """How a list shows the way to reach a program: its first voice number, else its text line, else its website.

    The one place this is decided: the validator's one-segment check and the bot's lists must agree on it.
    """
    if program.primary_phone is not None:
        return program.primary_phone.number
    if program.text_line is not None:
        return ("texto " if lang == "es" else "text ") + program.text_line.number
    if program.website is not None:
        return str(program.website).removeprefix("https://").removeprefix("http://").rstrip("/")
    return ""


def sms_line(program: Program, lang: str) -> str:
    """'Name: summary 312-555-0100' as sent in a list, normalised to GSM-7."""
    return to_gsm7(f"{program.short_name.get(lang)}: {program.summary.get(lang)} {contact(program, lang)}".strip())
