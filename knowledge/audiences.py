"""Who an event is for, in a feed's categories or a resident's words: "teens", "familias", "adultos mayores" -> one of
youth, teens, families, seniors, adults, everyone; and whether a safe space is asked for.

Standard library only and Python 3.10-compatible: the api reads feeds with it and the action server reads residents'
messages with it, so "jóvenes" means the same audience in both.
"""

from __future__ import annotations

from knowledge.language import words

# Folded words (lowercase, no accents, no spaces) -> an audience.
AUDIENCE_WORDS: dict[str, str] = {
    **dict.fromkeys(["youth", "youths", "youngpeople", "jovenes", "joven", "juventud", "juvenil"], "youth"),
    **dict.fromkeys(["teen", "teens", "teenager", "teenagers", "adolescents", "adolescente", "adolescentes"], "teens"),
    **dict.fromkeys(
        ["family", "families", "familia", "familias", "kids", "children", "ninos", "ninas", "parents", "padres"],
        "families",
    ),
    **dict.fromkeys(
        ["senior", "seniors", "olderadults", "elderly", "adultosmayores", "personasmayores", "terceraedad", "mayores"],
        "seniors",
    ),
    **dict.fromkeys(["adult", "adults", "adulto", "adultos"], "adults"),
    **dict.fromkeys(
        ["everyone", "all", "allages", "generalpublic", "todos", "todas", "paratodos", "todopublico"], "everyone"
    ),
}
SAFE_SPACE_WORDS = frozenset({"safespace", "safespaces", "safehaven", "safehavens", "espacioseguro", "espaciosseguros"})
# In a message these say nothing about the audience ("anything at all", "todos los sábados"): no filter at all.
_NOT_IN_MESSAGES = {"everyone"}
# A resident's words that a feed's categories do not use: "my son" asks for youth events, "mis hijos" for families'.
_MESSAGE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ["kid", "son", "daughter", "boys", "girls", "young", "hijo", "hija", "chavos", "muchachos"], "youth"
    ),
    **dict.fromkeys(["teenage", "highschool", "highschoolers", "prepa", "chamacos"], "teens"),
    **dict.fromkeys(["hijos", "hijas", "nino", "nina", "baby", "babies", "toddlers", "bebes"], "families"),
    **dict.fromkeys(["grandma", "grandpa", "abuelos", "abuela", "abuelo", "olderadult", "adultomayor"], "seniors"),
}


def _grams(text: str) -> list[str]:
    """The message's words and its two- and three-word runs joined, longest first: "adultos mayores" before
    "adultos"."""
    tokens = words(text)
    grams = []
    for size in (3, 2, 1):
        grams += ["".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)]
    return grams


def audience_in(text: str) -> str | None:
    """The audience a message asks for ("anything for teens?" -> teens), or None when it names none."""
    for gram in _grams(text):
        audience = _MESSAGE_WORDS.get(gram) or AUDIENCE_WORDS.get(gram)
        if audience and audience not in _NOT_IN_MESSAGES:
            return audience
    return None


def asks_for_safe_space(text: str) -> bool:
    return bool(SAFE_SPACE_WORDS & set(_grams(text)))
