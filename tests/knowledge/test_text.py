import pytest

from knowledge.lexicon import load_lexicon
from knowledge.sms import gsm7_length, to_gsm7
from knowledge.text import detect_language, stems


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("necesito comida para mis hijos", "es"),
        ("¿dónde hay un refugio?", "es"),
        ("busco trabajo", "es"),
        ("I need food for my kids", "en"),
        ("where can I find a job", "en"),
        ("rent help", "en"),
    ],
)
def test_language_detection(text, lang):
    assert detect_language(text) == lang


def test_a_bare_no_keeps_the_conversations_language():
    # "NO" answers a yes/no question in both languages: an English speaker must not be switched to Spanish.
    assert detect_language("NO", default="") == ""
    assert detect_language("no tengo trabajo") == "es"


def test_stemming_folds_accents_and_plurals():
    assert stems("Abogados de inmigración", "es") == stems("abogado inmigracion", "es")
    assert stems("food pantries", "en") == stems("food pantry", "en")


def test_lexicon_translates_phrases_before_words():
    lexicon = load_lexicon()
    assert lexicon.translate("violencia doméstica") == ["domestic violence abuse"]
    terms = " ".join(lexicon.translate("ayuda para pagar la renta"))
    assert "rent" in terms
    assert lexicon.translate("hola buenas tardes") == []


def test_gsm7_normalisation_keeps_spanish_readable():
    assert to_gsm7("Línea “gratis” — ¿sí?") == 'Linea "gratis" - ¿si?'
    assert to_gsm7("niño") == "niño"  # ñ is in GSM-7
    assert gsm7_length("a[b]") == 6  # brackets cost two
