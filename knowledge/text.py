"""Search terms out of text: content words and their stems (language detection is in knowledge.language).

Search and indexing must tokenise the same way, so this is the only place that does it.
"""

from __future__ import annotations

from functools import cache

import snowballstemmer

from knowledge.language import STOP_EN, STOP_ES, Lang, detect_language, fold, words

__all__ = ["Lang", "content_words", "detect_language", "fold", "stems", "words"]


@cache
def _stemmer(lang: Lang) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("spanish" if lang == "es" else "english")


def content_words(text: str, lang: Lang) -> list[str]:
    stop = STOP_ES if lang == "es" else STOP_EN
    return [w for w in words(text) if w not in stop and (len(w) > 1 or w.isdigit())]


def stems(text: str, lang: Lang) -> list[str]:
    """Stemmed content words: the lexical terms BM25 scores."""
    stemmer = _stemmer(lang)
    return [stemmer.stemWord(w) for w in content_words(text, lang)]
