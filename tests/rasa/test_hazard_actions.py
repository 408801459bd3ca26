"""The hazard report actions, driven with Tracker.from_dict and CollectingDispatcher against a local stand-in of the
api's two hazard endpoints over HTTP: the type read from the resident's words, the questions each channel asks, the
place, anonymity, the photo, the idempotency key kept across a retry, what the resident is told when 311 filed it,
queued it or the api is down (English and Spanish), REPORT STATUS, and logs that hold no place or number."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import settings as actions_settings
from actions.hazard import (
    ActionAskHazardConfirm,
    ActionAskHazardLocation,
    ActionHazardStatus,
    ActionStartHazard,
    ActionSubmitHazard,
    ValidateHazardForm,
    classify,
)
from knowledge.sms import gsm7_length
from tests.local_server import LocalServer
from tests.stack import free_port

SERVICE = "service-" + uuid.uuid4().hex
PHOTO = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1"
SEALED = "c2VhbGVkLW51bWJlci1zdGFuZC1pbg=="  # what the SMS channel puts in the metadata (opaque here)
PLACE = "W 63rd St and S Halsted St"
DOMAIN = {"forms": {"hazard_form": {"required_slots": ["hazard_type", "hazard_location", "hazard_contact",
                                                       "hazard_confirm"]}}, "slots": {}}  # fmt: skip


class ApiStandIn:
    """POST /api/v1/hazard-reports and GET /api/v1/conversations/{id}/hazard-reports as the api answers them (one
    report per Idempotency-Key), and GET /api/v1/places for a ZIP; `state` is what 311 did with a new report."""

    def __init__(self) -> None:
        self.state = "filed"
        self.city_status = "open"
        self.requests: list[dict] = []
        self.reports: dict[str, dict] = {}  # by Idempotency-Key, in order made
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: object) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw)
                key = self.headers.get("Idempotency-Key")
                with api.lock:
                    api.requests.append({"key": key, "authorization": self.headers.get("Authorization"),
                                         "body": body})  # fmt: skip
                    if self.path != "/api/v1/hazard-reports":
                        return self._send(404, {"detail": "Not Found"})
                    if key in api.reports:
                        return self._send(200, api.reports[key])
                    n = len(api.reports) + 1
                    filed = api.state == "filed"
                    api.reports[key] = {
                        "code": f"HZ-{n:06d}", "hazard_type": body["hazard_type"], "state": api.state,
                        "service_request_id": f"SR26-{n:08d}" if filed else None,
                        "city_status": "open" if filed else None, "created_at": "2026-11-26T18:00:00Z",
                        "conversation_id": body["conversation_id"],
                    }  # fmt: skip
                    return self._send(201, api.reports[key])

            def do_GET(self) -> None:
                if self.path.startswith("/api/v1/places"):
                    return self._send(200, {"community_area_name": "Englewood"})
                conversation = self.path.removeprefix("/api/v1/conversations/").removesuffix("/hazard-reports")
                with api.lock:
                    mine = [{**r, "city_status": api.city_status if r["service_request_id"] else None}
                            for r in api.reports.values() if r["conversation_id"] == conversation]  # fmt: skip
                self._send(200, list(reversed(mine))[:5])

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def city_api(monkeypatch):
    standin = ApiStandIn()
    with LocalServer(standin.handler()) as server:
        configure(monkeypatch, server.url)
        yield standin
    actions_settings.get_settings.cache_clear()


@pytest.fixture
def api_down(monkeypatch):
    configure(monkeypatch, f"http://127.0.0.1:{free_port()}")
    yield
    actions_settings.get_settings.cache_clear()


def configure(monkeypatch, url: str) -> None:
    monkeypatch.setenv("NAVIGATOR_API_URL", url)
    monkeypatch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
    monkeypatch.setenv("NAVIGATOR_API_RETRIES", "0")
    actions_settings.get_settings.cache_clear()


def tracker(text="", *, sender="unit", channel="rest", intent="nlu_fallback", metadata=None, **slots):
    base = {"language": "en", "requested_slot": None, "hazard_type": None, "hazard_location": None,
            "hazard_contact": None, "hazard_confirm": None, "hazard_media": None, "hazard_key": None}  # fmt: skip
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": {**base, **slots},
            "latest_message": {
                "text": text,
                "intent": {"name": intent, "confidence": 0.9},
                "entities": [],
                "metadata": metadata or {},
            },
            "events": [{"event": "user", "text": text, "input_channel": channel, "parse_data": {}}],
            "active_loop": {"name": "hazard_form"},
        }
    )


def run(action, t):
    dispatcher = CollectingDispatcher()
    result = action.run(dispatcher, t, {})
    events = asyncio.run(result) if asyncio.iscoroutine(result) else result
    texts = [m.get("text") or "" for m in dispatcher.messages]
    return texts, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def validate(slot: str, value: str, **kw):
    dispatcher = CollectingDispatcher()
    t = tracker(value, requested_slot=slot, **kw)
    result = getattr(ValidateHazardForm(), f"validate_{slot}")(value, dispatcher, t, {})
    return result, [m.get("text") or "" for m in dispatcher.messages]


def required(**kw) -> list[str]:
    return asyncio.run(ValidateHazardForm().required_slots([], CollectingDispatcher(), tracker(**kw), {}))


def answered(**changes) -> dict:
    """The slots of a report whose questions were all answered (web chat, anonymous, no photo)."""
    return {"hazard_type": "alley_light", "hazard_location": PLACE, "hazard_contact": None, "hazard_confirm": "yes",
            "hazard_media": None, "hazard_key": uuid.uuid4().hex, **changes}  # fmt: skip


# --- the resident's words -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("the alley light behind my house is out", "alley_light"),
        ("light out in the alley", "alley_light"),
        ("la luz del callejón no sirve", "alley_light"),
        ("street light out on my block", "street_light"),
        ("Streetlight out at the corner", "street_light"),
        ("la luz de la calle no sirve", "street_light"),
        ("graffiti on the garage", "graffiti"),
        ("they keep tagging the viaduct", "graffiti"),
        ("hay grafiti en mi garaje", "graffiti"),
        ("empty lot full of trash", "vacant_lot"),
        ("abandoned lot with weeds", "vacant_lot"),
        ("hay un lote baldío lleno de basura", "vacant_lot"),
        ("abandoned building on my block, people going in at night", "abandoned_building"),
        ("vacant house next door is wide open", "abandoned_building"),
        ("hay un edificio abandonado", "abandoned_building"),
        ("la casa abandonada de al lado", "abandoned_building"),
        ("broken glass all over the sidewalk by the school", "other_safety"),
        ("hay cables sueltos colgando de un poste", "other_safety"),
        # Asked: nothing said but "a report", or two hazards named in one message.
        ("I want to report a hazard", None),
        ("quiero reportar un peligro en mi cuadra", None),
        ("graffiti all over the abandoned building", None),
    ],
)
def test_the_hazard_type_is_read_from_the_residents_words_in_both_languages(words, expected):
    assert classify(words) == expected


def test_a_report_starts_clean_with_its_type_its_key_and_a_photo_sent_with_it():
    metadata = {"media_url": PHOTO, "sealed_contact": SEALED}
    t = tracker("graffiti on the garage", channel="twilio_sms", intent="report_hazard", metadata=metadata,
                hazard_location="an old answer", hazard_confirm="no")  # fmt: skip
    _, slots = run(ActionStartHazard(), t)
    assert slots["hazard_type"] == "graffiti" and slots["hazard_media"] == PHOTO
    assert slots["hazard_location"] is None and slots["hazard_confirm"] is None  # nothing left from a last report
    assert len(slots["hazard_key"]) == 32
    _, unclear = run(ActionStartHazard(), tracker("report a safety problem", intent="report_hazard"))
    assert unclear["hazard_type"] is None and unclear["hazard_media"] is None  # asked first, as the form's first slot
    _, http = run(ActionStartHazard(), tracker("graffiti", metadata={"media_url": "http://example.org/x.jpg"}))
    assert http["hazard_media"] is None  # 311 takes https only


def test_the_questions_follow_the_channel():
    assert required() == ["hazard_type", "hazard_location", "hazard_confirm"]  # web chat: never asked for contact
    sms = required(channel="twilio_sms", metadata={"sealed_contact": SEALED})
    assert sms == ["hazard_type", "hazard_location", "hazard_contact", "hazard_confirm"]
    assert "hazard_contact" not in required(channel="twilio_sms")  # no sealed number: nothing to offer
    assert required(hazard_confirm="no") == []  # dropped or cancelled: the form ends


def test_the_type_is_asked_by_number_or_in_words():
    assert validate("hazard_type", "3")[0] == {"hazard_type": "graffiti"}
    assert validate("hazard_type", "6")[0] == {"hazard_type": "other_safety"}
    assert validate("hazard_type", "el lote baldio")[0] == {"hazard_type": "vacant_lot"}
    assert validate("hazard_type", "something else")[0] == {"hazard_type": "other_safety"}
    result, texts = validate("hazard_type", "9")
    assert result == {"hazard_type": None} and texts == ["Reply a number from 1 to 6."]
    assert validate("hazard_type", "banana", language="es")[1] == ["Responda un numero del 1 al 6."]
    # Set by the start action before anything was asked: kept as it is.
    dispatcher, t = CollectingDispatcher(), tracker("street light out", hazard_type="street_light")
    assert ValidateHazardForm().validate_hazard_type("street_light", dispatcher, t, {}) == {
        "hazard_type": "street_light"
    }


def test_the_place_is_one_short_line_with_a_street_in_it():
    assert validate("hazard_location", "  W 63rd St\n and   S Halsted St ")[0] == {"hazard_location": PLACE}
    assert validate("hazard_location", "Cermak y Kedzie")[0] == {"hazard_location": "Cermak y Kedzie"}
    for bad in ("", "60623", "2", "a"):
        result, texts = validate("hazard_location", bad)
        assert result == {"hazard_location": None} and "cross streets" in texts[0], bad
    result, texts = validate("hazard_location", "near the " + "very " * 50 + "big tree")
    assert result == {"hazard_location": None} and "too long" in texts[0]
    assert validate("hazard_location", "salir", language="es")[0] == {"hazard_location": None, "hazard_confirm": "no"}
    assert validate("hazard_location", "EXIT")[0]["hazard_confirm"] == "no"
    assert validate("hazard_location", "cancel")[0]["hazard_confirm"] == "no"


def test_anonymous_is_the_default_and_contact_only_when_asked():
    sms = {"channel": "twilio_sms", "metadata": {"sealed_contact": SEALED}}
    assert validate("hazard_contact", "1", **sms)[0] == {"hazard_contact": "anonymous"}
    assert validate("hazard_contact", "no thanks", **sms)[0] == {"hazard_contact": "anonymous"}
    assert validate("hazard_contact", "whatever", **sms)[0] == {"hazard_contact": "anonymous"}
    assert validate("hazard_contact", "2", **sms)[0] == {"hazard_contact": "contact"}
    assert validate("hazard_contact", "Sí", **sms)[0] == {"hazard_contact": "contact"}


def test_only_a_yes_sends_and_no_or_cancel_drops():
    for yes in ("YES", "yes please", "Sí", "si"):
        assert validate("hazard_confirm", yes)[0] == {"hazard_confirm": "yes"}, yes
    for no in ("NO", "no thanks", "exit", "salir"):
        assert validate("hazard_confirm", no)[0] == {"hazard_confirm": "no"}, no
    result, texts = validate("hazard_confirm", "maybe later", language="es")
    assert result == {"hazard_confirm": None} and texts == ["Responda SI para enviarlo al 311 o NO para no enviarlo."]


def test_the_questions_say_what_each_channel_allows():
    [web], _ = run(ActionAskHazardLocation(), tracker(hazard_type="street_light"))
    assert web.startswith("311 report: street light out. Where is it?") and "CANCEL" in web and "photo" not in web
    [sms], _ = run(ActionAskHazardLocation(), tracker(channel="twilio_sms", hazard_type="alley_light"))
    assert "alley light out" in sms and "text a photo" in sms and "EXIT" in sms and "CANCEL" not in sms
    [es], _ = run(ActionAskHazardLocation(), tracker(channel="twilio_sms", language="es", hazard_type="graffiti"))
    assert es.startswith("Reporte al 311: grafiti. Donde esta?") and "foto" in es and "SALIR" in es


def test_a_photo_alone_answers_nothing_and_is_kept():
    sms = {"channel": "twilio_sms", "metadata": {"media_url": PHOTO}}
    result, texts = validate("hazard_location", "", **sms)
    assert result == {"hazard_location": None} and texts == []  # asked again, saying the photo came
    t = tracker("", requested_slot="hazard_location", hazard_type="street_light", **sms)
    dispatcher = CollectingDispatcher()
    events = asyncio.run(ValidateHazardForm().run(dispatcher, t, DOMAIN))
    assert {"event": "slot", "timestamp": None, "name": "hazard_media", "value": PHOTO} in events
    [again], _ = run(ActionAskHazardLocation(), tracker(hazard_type="street_light", hazard_media=PHOTO, **sms))
    assert "Got your photo." in again and "text a photo" not in again
    # Never with a crisis message: the form must find nothing in it, so the crisis rule answers first.
    crisis = tracker("he has a gun", intent="crisis", requested_slot="hazard_location", **sms)
    events = asyncio.run(ValidateHazardForm().run(CollectingDispatcher(), crisis, DOMAIN))
    assert not [e for e in events if e.get("name") == "hazard_media"]


def test_the_confirmation_states_the_hazard_the_place_the_photo_and_anonymity():
    [en], _ = run(ActionAskHazardConfirm(), tracker(**answered()))
    assert en == f"Send to 311: alley light out at {PLACE}, anonymous. Reply YES to send or NO to drop it."
    sms = tracker(channel="twilio_sms", language="es", **answered(hazard_contact="contact", hazard_media=PHOTO))
    [es], _ = run(ActionAskHazardConfirm(), sms)
    assert es.startswith("Enviar al 311: luz de callejon apagada en W 63rd St") and "con su foto" in es
    assert "el 311 puede contactarle" in es and "Responda SI" in es


# --- sending it ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("en", "Sent to 311. Your 311 request number is SR26-00000001. Text REPORT STATUS to check on it."),
     ("es", "Enviado al 311. Su numero de solicitud del 311 es SR26-00000001. Escriba ESTADO DEL REPORTE para ver "
            "como va.")],
)  # fmt: skip
def test_a_filed_report_gives_the_city_request_number(city_api, lang, expected):
    sender = f"web-{uuid.uuid4()}"
    texts, slots = run(ActionSubmitHazard(), tracker("YES", sender=sender, language=lang, **answered()))
    assert texts == [expected]
    assert all(value is None for value in slots.values())  # a clean slate for the next report
    [request] = city_api.requests
    assert request["authorization"] == f"Bearer {SERVICE}" and 8 <= len(request["key"]) <= 128
    assert request["body"] == {"channel": "web", "language": lang, "conversation_id": sender,
                               "hazard_type": "alley_light", "location": PLACE}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "es"])
def test_a_queued_report_is_said_to_be_saved_and_sent_later(city_api, lang):
    city_api.state = "queued"
    [text], _ = run(ActionSubmitHazard(), tracker("YES", language=lang, **answered()))
    if lang == "en":
        assert text.startswith("311 is not answering right now. Your report is saved") and "REPORT STATUS" in text
    else:
        assert text.startswith("El 311 no responde en este momento.") and "ESTADO DEL REPORTE" in text
    assert "SR" not in text and text.isascii() and gsm7_length(text) <= 459


@pytest.mark.parametrize("lang", ["en", "es"])
def test_with_the_api_down_the_resident_is_told_it_was_not_sent_and_given_311(api_down, lang):
    [text], _ = run(ActionSubmitHazard(), tracker("YES", language=lang, **answered()))
    assert ("not sent" if lang == "en" else "no se envio") in text
    assert "311" in text and "312-744-5000" in text


def test_a_report_refused_by_311_is_said_so(city_api):
    city_api.state = "refused"
    [text], _ = run(ActionSubmitHazard(), tracker("YES", **answered()))
    assert text.startswith("311 did not accept this report.") and "312-744-5000" in text


def test_a_retried_submission_is_the_same_report(city_api):
    t = tracker("YES", **answered())
    first, _ = run(ActionSubmitHazard(), t)
    again, _ = run(ActionSubmitHazard(), t)  # the action run again with the same tracker (a retry)
    assert first == again and len(city_api.reports) == 1
    assert [r["key"] for r in city_api.requests] == [t.get_slot("hazard_key")] * 2


def test_a_dropped_report_sends_nothing(city_api):
    [text], _ = run(ActionSubmitHazard(), tracker("NO", **answered(hazard_confirm="no")))
    assert text == "OK, nothing was sent to 311." and city_api.requests == []


def test_reports_are_anonymous_unless_the_sms_resident_asked_for_contact(city_api):
    sms = {"channel": "twilio_sms", "metadata": {"sealed_contact": SEALED}}
    run(ActionSubmitHazard(), tracker("YES", **sms, **answered(hazard_contact="anonymous")))
    run(ActionSubmitHazard(), tracker("YES", **sms, **answered(hazard_contact="contact")))
    run(ActionSubmitHazard(), tracker("YES", metadata={"sealed_contact": SEALED}, **answered(hazard_contact="contact")))
    anonymous, contact, web = (r["body"] for r in city_api.requests)
    assert "sealed_contact" not in anonymous and anonymous["channel"] == "sms"
    assert contact["sealed_contact"] == SEALED  # exactly what the channel sealed: never a number in clear
    assert "sealed_contact" not in web and web["channel"] == "web"


def test_the_photo_and_the_community_area_of_a_zip_go_with_the_report(city_api):
    slots = answered(hazard_media=PHOTO, hazard_location="5500 S Halsted St, Chicago 60621")
    run(ActionSubmitHazard(), tracker("YES", channel="twilio_sms", **slots))
    [request] = city_api.requests
    assert request["body"]["media_url"] == PHOTO and request["body"]["community_area"] == "Englewood"


# --- REPORT STATUS --------------------------------------------------------------------------------------------------


def test_status_lists_the_latest_reports_with_their_311_numbers(city_api):
    sender = f"sms-{uuid.uuid4().hex}"
    run(ActionSubmitHazard(), tracker("YES", sender=sender, **answered(hazard_type="street_light")))
    city_api.state = "queued"
    run(ActionSubmitHazard(), tracker("YES", sender=sender, **answered(hazard_type="graffiti")))
    [text], _ = run(ActionHazardStatus(), tracker("REPORT STATUS", sender=sender))
    assert text.splitlines() == [
        "Graffiti: saved, not yet sent to 311 (HZ-000002).",
        "Street light out: 311 #SR26-00000001, open.",
    ]
    city_api.city_status = "closed"
    [es], _ = run(ActionHazardStatus(), tracker("estado del reporte", sender=sender, language="es"))
    assert "Luz de calle apagada: 311 #SR26-00000001, cerrado." in es.splitlines()
    [none], _ = run(ActionHazardStatus(), tracker("REPORT STATUS", sender="someone-else"))
    assert none.startswith("You have no reports with us.")


def test_status_with_the_api_down_says_so(api_down):
    [text], _ = run(ActionHazardStatus(), tracker("REPORT STATUS"))
    assert text.startswith("I can't check right now.") and "311" in text


def test_logs_hold_no_place_number_or_photo(city_api, caplog):
    caplog.set_level("DEBUG")
    sms = {"channel": "twilio_sms", "metadata": {"sealed_contact": SEALED}}
    run(ActionSubmitHazard(), tracker("YES", **sms, **answered(hazard_contact="contact", hazard_media=PHOTO)))
    run(ActionHazardStatus(), tracker("REPORT STATUS"))
    assert "hazard report filed" in caplog.text
    for secret in ("Halsted", SEALED, PHOTO, "SR26"):
        assert secret not in caplog.text, secret


# --- the trained model tells a report from a need ------------------------------------------------------------------

MODEL = Path(__file__).resolve().parents[2] / "models" / "navigator.tar.gz"


@pytest.mark.skipif(not MODEL.exists(), reason="no trained model: run `make train`")
def test_the_model_tells_hazard_reports_from_needs_and_status():
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODEL))
    expected = {
        "the streetlight across from my apartment is out": "report_hazard",
        "abandoned house next to mine, people going in at night": "report_hazard",
        "hay grafiti en la pared de mi casa": "report_hazard",
        "el callejon esta muy oscuro, no hay luz": "report_hazard",
        "status of my report": "hazard_status",
        "ESTADO DEL REPORTE": "hazard_status",
        "I need housing": "find_program",
        "they cut off my lights": "find_program",
        "me van a cortar la luz": "find_program",
        "pothole on my street": "find_program",
        "STATUS": "referral_status",
    }
    got = {text: asyncio.run(agent.parse_message(text))["intent"]["name"] for text in expected}
    assert got == expected
