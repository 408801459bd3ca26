"""What a check-in says, and the answers to 1, 2 and 3, in the referral's language.

Nothing in them names the need, a program or the resident: someone else may read the phone. Each fits one SMS segment
once in GSM-7 (knowledge.sms.to_gsm7), which tests/api/test_checkins.py checks.
"""

from __future__ import annotations

from typing import Literal

from knowledge.sms import to_gsm7

Answer = Literal["1", "2", "3"]
# What the referral records for each answer.
MEANINGS: dict[str, str] = {"1": "helped", "2": "still_need_help", "3": "stop"}

QUESTION = {
    "en": "Navigator (City of Chicago): did you get the help you needed? Reply 1 yes, 2 still need help, 3 stop "
    "these check-ins. Emergency 911, crisis 988.",
    "es": "Navigator (Ciudad de Chicago): ¿recibió la ayuda que necesitaba? Responda 1 sí, 2 aún necesito ayuda, 3 no "
    "preguntar más. Emergencia 911, crisis 988.",
}
REPLIES = {
    "1": {
        "en": "Thank you. We are glad you got help. Navigator will not check in about this again. Crisis 988, "
        "emergency 911.",
        "es": "Gracias. Nos alegra que recibiera ayuda. Navigator no volverá a preguntar por esto. Crisis 988, "
        "emergencia 911.",
    },
    "2": {
        "en": "Thank you for telling us. An outreach worker will contact you again soon. Crisis 988, emergency 911.",
        "es": "Gracias por decirnos. Un trabajador de alcance se comunicará con usted de nuevo pronto. Crisis 988, "
        "emergencia 911.",
    },
    "3": {
        "en": "OK: no more check-ins. Text STOP to get no texts at all from Navigator. Crisis 988, emergency 911.",
        "es": "Listo: no más preguntas de seguimiento. Envíe STOP para no recibir ningún mensaje de Navigator. Crisis "
        "988, emergencia 911.",
    },
}


def question(language: str) -> str:
    return to_gsm7(QUESTION.get(language, QUESTION["en"]))


def reply(answer: str, language: str) -> str:
    texts = REPLIES[answer]
    return to_gsm7(texts.get(language, texts["en"]))
