"""Which language a short message is in, and the word lists that tell: English or Spanish.

No third-party imports, so the bot's environment (Python 3.10, Rasa) and the api share this one implementation.
"""

from __future__ import annotations

import re
import unicodedata

Lang = str  # "en" or "es"

_WORD_RE = re.compile(r"[a-z0-9]+")

# Function words carry no need; they are dropped before BM25 and language scoring.
STOP_EN = frozenset(
    "a an and are as at be been but by can could do does for from get got have has i i'm im in into is it its "
    "me my near of on or our about gonna like please so some that the their them there this to too u up us want "
    "was we what when where which who will with would you your need needs help any am just can't cant".split()
)
STOP_ES = frozenset(
    "a al algo algun alguna alguien ante como con cual cuando de del donde el ella en entre era es esa ese eso esta "
    "este esto estoy hay la las le les lo los me mi mis muy necesito necesita no nos o para pero por porque que quien "
    "se si sin son su sus te tengo tiene tu un una uno unos y ya yo ayuda ayudar cerca favor quiero busco".split()
)
# Words that only occur in one of the two languages, for telling a short text's language apart.
_ES_MARKERS = frozenset(
    "necesito ayuda quiero busco donde tengo hay para con mi mis una unos las los del que por favor gratis comida "
    "trabajo renta vivienda abogado esposo esposa novio hijo hija hijos casa dinero cerca estoy soy hambre miedo "
    "puedo como tambien pagar luz calle violencia salud inmigracion empleo refugio escuela pelea golpea me nos "
    "hola buenas buenos dias tardes noches gracias adios ayudeme oiga disculpe".split()
)
_EN_MARKERS = frozenset(
    "i need help want my the for with where can food job work rent house home lawyer near me is are you what how "
    "free housing shelter money kid kids son daughter husband wife boyfriend girlfriend get and of to in "
    "hi hello hey thanks thank bye goodbye please".split()
)


# Spelled the same and common in both: an English "NO" to a yes/no question must not switch a resident to Spanish.
_SHARED = frozenset({"no"})


def fold(text: str) -> str:
    """Lowercase without accents: 'Inmigración' -> 'inmigracion'. Keeps ñ distinct only through context."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def words(text: str) -> list[str]:
    return _WORD_RE.findall(fold(text))


def detect_language(text: str, default: Lang = "en") -> Lang:
    """'es' or 'en' from function words and Spanish letters; short or unclear text keeps the default."""
    if re.search(r"[ñ¿¡áéíóú]", text.lower()):
        return "es"
    tokens = [t for t in words(text) if t not in _SHARED]
    es = sum(t in _ES_MARKERS or t in STOP_ES for t in tokens)
    en = sum(t in _EN_MARKERS or t in STOP_EN for t in tokens)
    if es > en:
        return "es"
    if en > es:
        return "en"
    return default
