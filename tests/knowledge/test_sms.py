"""SMS formatting: GSM-7 where the language allows, at most 3 segments a message, no phone or item cut in two."""

import re

from knowledge.sms import for_sms, segments, split_sms

ITEMS = [
    f"{n}. Program number {n}: a long summary of what this program does for residents of the city "
    f"and who can come 773-555-01{n:02d} (open now, 1.{n} km)"
    for n in range(1, 9)
]


def test_spanish_is_sent_in_gsm7_but_a_script_gsm7_cannot_spell_is_kept():
    assert for_sms("¿Necesita ayuda? Llame a la línea “gratuita”") == '¿Necesita ayuda? Llame a la linea "gratuita"'
    assert for_sms("需要食物吗") == "需要食物吗"  # as question marks it would say nothing
    assert segments("a" * 160) == 1 and segments("a" * 161) == 2 and segments("a" * 459) == 3
    assert segments("é" * 160) == 1  # é is GSM-7
    assert segments("需" * 70) == 1 and segments("需" * 71) == 2 and segments("需" * 202) == 4


def test_a_short_message_stays_one():
    assert split_sms("Call 312-555-0100 now.") == ["Call 312-555-0100 now."]
    assert split_sms("   ") == []


def test_a_long_list_splits_between_items_and_keeps_every_item_whole():
    text = "\n".join(ITEMS)
    parts = split_sms(text)
    assert len(parts) > 1
    assert all(segments(part) <= 3 for part in parts)
    lines = [line for part in parts for line in part.split("\n")]
    assert lines == ITEMS  # nothing lost, nothing cut, in order


def test_a_long_paragraph_splits_between_words_never_inside_a_phone_number():
    phones = ["(312) 555-0100", "312-555-0101", "+1 773 555 0102"]
    words = []
    for i in range(120):
        words.append(f"word{i}")
        if i % 13 == 0:
            words.append(phones[i % 3])
    text = " ".join(words)
    parts = split_sms(text)
    assert len(parts) > 1 and all(segments(part) <= 3 for part in parts)
    assert " ".join(parts) == text
    found = [m for part in parts for m in re.findall(r"\(312\) 555-0100|312-555-0101|\+1 773 555 0102", part)]
    assert len(found) == sum(1 for w in words if w in phones)


def test_ucs2_messages_split_at_ucs2_sizes():
    text = " ".join(["需要食物"] * 80)
    parts = split_sms(text)
    assert all(segments(part) <= 3 for part in parts) and len(parts) >= 2
    assert "".join(parts).replace(" ", "") == text.replace(" ", "")
