"""Who an event is for in a resident's words, English and Spanish, and the safe spaces asked for."""

import pytest

from knowledge.audiences import asks_for_safe_space, audience_in


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("anything for teens this weekend in Englewood?", "teens"),
        ("¿eventos para familias cerca de 60623?", "families"),
        ("eventos para adultos mayores esta semana", "seniors"),  # the two words before "adultos" alone
        ("something for adults", "adults"),
        ("what can my son do saturday", "youth"),
        ("actividades para jóvenes", "youth"),
        ("events for everyone", None),  # no filter: everything is for everyone
        ("any events at all this weekend", None),
        ("events near 60623", None),
    ],
)
def test_the_audience_in_a_message(text, audience):
    assert audience_in(text) == audience


@pytest.mark.parametrize(
    ("text", "safe_space"),
    [("any safe spaces open tonight", True), ("un espacio seguro para jóvenes", True), ("I feel safe here", False),
     ("events this weekend", False)],
)  # fmt: skip
def test_a_safe_space_asked_for(text, safe_space):
    assert asks_for_safe_space(text) is safe_space
