"""Deterministic crisis detection from the reviewed lexicon (``crisis_lexicon.yml``).

Plain Python on purpose: the Rasa component wraps it, and the lexicon's tests, the api and the SMS connector can use
it without loading Rasa. Runs on every message, so it is compiled once and matching is a handful of regexes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

LEXICON_FILE = Path(__file__).with_name("crisis_lexicon.yml")


@dataclass(frozen=True)
class CrisisType:
    name: str
    numbers: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Crisis:
    """What was detected: the kinds in answer order and the numbers to give, most urgent first."""

    types: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def primary(self) -> str:
        return self.types[0]


class CrisisLexicon:
    def __init__(
        self, spellings: dict[str, str], idioms: list[str], types: list[CrisisType], signals: list[str] | None = None
    ) -> None:
        self.spellings = spellings
        self._spelling_re = re.compile(
            r"\b(" + "|".join(map(re.escape, sorted(spellings, key=len, reverse=True))) + r")\b"
        )
        self.idioms = tuple(re.compile(p) for p in idioms)
        self.types = tuple(types)
        self._signal_re = re.compile(r"\b(" + "|".join(map(re.escape, signals)) + r")") if signals else None

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> CrisisLexicon:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        spellings = {fold(str(k)): str(v) for k, v in (raw.get("spellings") or {}).items()}
        types = [
            CrisisType(
                name=name,
                numbers=tuple(str(n) for n in spec["numbers"]),
                patterns=tuple(re.compile(p) for p in spec["patterns"]),
            )
            for name, spec in raw["types"].items()
        ]
        signals = [fold(str(w)) for w in raw.get("signals") or []]
        return cls(spellings, list(raw.get("idioms") or []), types, signals)

    def normalise(self, text: str) -> str:
        text = fold(text)
        text = re.sub(r"['\u2019`]", "", text)  # dont, im, cant
        text = re.sub(r"[^a-z0-9 ]+", " ", text)
        text = self._spelling_re.sub(lambda m: self.spellings[m.group(1)], text)
        text = re.sub(r"\s+", " ", text).strip()
        for idiom in self.idioms:
            text = idiom.sub(" _ ", text)
        return text

    def has_signal(self, text: str) -> bool:
        """True when a danger word survives idiom removal: the ML model may only call a crisis then."""
        return bool(self._signal_re and self._signal_re.search(self.normalise(text)))

    def has_idiom(self, text: str) -> bool:
        """True when the text uses a crisis word in a known harmless idiom ("my battery is dying")."""
        return " _ " in f" {self.normalise(text)} "

    def detect(self, text: str) -> Crisis | None:
        normalised = self.normalise(text)
        found = [t for t in self.types if any(p.search(normalised) for p in t.patterns)]
        if not found:
            return None
        numbers: list[str] = []
        for kind in found:
            numbers += [n for n in kind.numbers if n not in numbers]
        return Crisis(types=tuple(t.name for t in found), numbers=tuple(numbers))


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=4)
def load_lexicon(path: Path = LEXICON_FILE) -> CrisisLexicon:
    return CrisisLexicon.load(path)
