"""The reviewed Spanish -> English need lexicon (``data/lexicon_es_en.yml``): English terms for a Spanish query."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from knowledge.text import stems

LEXICON_FILE = Path(__file__).parent / "data" / "lexicon_es_en.yml"


@dataclass(frozen=True)
class Lexicon:
    # Keys are tuples of Spanish stems; a phrase is a longer tuple.
    entries: dict[tuple[str, ...], str]
    longest: int

    def translate(self, text: str) -> list[str]:
        """English terms for the Spanish needs found in text, in order, longest phrase first at each position."""
        tokens = stems(text, "es")
        out: list[str] = []
        i = 0
        while i < len(tokens):
            for size in range(min(self.longest, len(tokens) - i), 0, -1):
                key = tuple(tokens[i : i + size])
                if key in self.entries:
                    out.append(self.entries[key])
                    i += size
                    break
            else:
                i += 1
        return out


@cache
def load_lexicon(path: Path = LEXICON_FILE) -> Lexicon:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    entries: dict[tuple[str, ...], str] = {}
    for section in ("words", "phrases"):
        for spanish, english in (raw.get(section) or {}).items():
            key = tuple(stems(str(spanish), "es"))
            if key:
                entries[key] = str(english)
    return Lexicon(entries=entries, longest=max((len(k) for k in entries), default=1))
