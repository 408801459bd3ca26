"""What no log may hold: residents' phone numbers in any spelling, and the texts the suite's residents send.

Every number a test gives a resident is a 555-01xx or 555-xxxx number (fictional, never a real program's), so any
555 number in a log came from a resident.
"""

from __future__ import annotations

import re
from pathlib import Path

PHONE = re.compile(r"(?<![\w-])(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?555[ .-]?\d{4}(?!\d)")
# Distinctive texts residents send in the e2e, reliability and browser tests (case-insensitive).
MESSAGE_TEXTS = (
    "i need a winter coat",
    "i need food for my kids",
    "i need food for my family",
    "kill myself",
    "boyfriend hits me",
    "choking me",
    "husband hits me",
    "landlord wont fix the heat",
    "necesito ayuda con la renta",
    "necesito ayuda para pagar la luz",
    "necesito comida para mis hijos",
    "necesito comida cerca",
    "is it open saturday",
    "busco trabajo en",
    "zelmirabeth",
    "quokka",
)


def leaks_in(folder: Path) -> list[str]:
    """'file: what' for every number or resident text in a *.log file under folder."""
    found = []
    for log in sorted(folder.rglob("*.log")):
        content = log.read_text(errors="replace")
        lowered = content.lower()
        found += [f"{log}: a phone number ({m.group(0)[-4:]})" for m in PHONE.finditer(content)]
        found += [f"{log}: resident text {text!r}" for text in MESSAGE_TEXTS if text in lowered]
    return found
