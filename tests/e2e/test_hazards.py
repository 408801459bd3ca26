"""Hazard reports end to end, as `make run` starts Navigator with its api filing to a local Open311 stand-in: an SMS
resident (signed webhooks, in Spanish, with a texted photo) and a web chat resident (the REST channel) each report a
hazard and get the city's request number; 311 receives the right service code and address and nothing personal,
unless the resident asked to be contacted; a city outage is told as it is; REPORT STATUS reads the reports back; a
crisis during the questions comes first; no address or number reaches any log of the stack."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from tests.conftest import OPEN311_CODES
from tests.e2e.test_referrals import WebResident
from tests.open311_standin import Open311StandIn
from tests.sms_client import SmsClient, new_phone

SR = re.compile(r"SR[0-9A-F]{6}-\d{8}")
PHOTO = "https://api.twilio.com/2010-04-01/Accounts/AC0123/Messages/MM0123/Media/ME0123"
PERSONAL = {"phone", "email", "first_name", "last_name", "device_id", "account_id"}
# Every place the conversations give, searched for in the logs at the end.
PLACES = ["W 63rd St y S Halsted St", "5500 S Halsted St", "1200 W Garfield Blvd", "1300 W 51st St"]


class SmsResident:
    def __init__(self, client: SmsClient) -> None:
        self.client = client
        self.phone = new_phone()

    def say(self, text: str) -> str:
        _, replies = self.client.send(self.phone, text)
        return "\n".join(replies)

    def send_photo(self, text: str = "") -> str:
        """An MMS as Twilio posts it: the picture's URL and type beside the (possibly empty) text."""
        params = {**self.client.params(self.phone, text), "NumMedia": "1", "MediaUrl0": PHOTO,
                  "MediaContentType0": "image/jpeg"}  # fmt: skip
        response = self.client.post(params, self.client.sign(params))
        assert response.status_code == 200, response.text
        return "\n".join(m.text or "" for m in ET.fromstring(response.text).iter("Message"))


def filed(city: Open311StandIn, request_id: str) -> tuple[dict, dict]:
    """The city's request and the form fields it was filed with."""
    request = city.requests[request_id]
    [form] = [f for f in city.received if f.get("description") == request["description"]]
    return request, form


@pytest.fixture(scope="module")
def sms(running) -> SmsClient:
    return SmsClient(running.bot_url, running.workdir)


def test_an_sms_resident_reports_in_spanish_with_a_photo_and_311_gets_it_anonymously(running, open311, sms):
    resident = SmsResident(sms)
    where = resident.say("la luz del callejón detrás de mi casa no sirve")
    assert "luz de callejon apagada" in where and "Donde esta?" in where and "foto" in where and "SALIR" in where
    again = resident.send_photo()  # a photo alone, no words: not rejected, kept, and the place asked again
    assert "Recibi su foto" in again and "Donde esta?" in again
    assert "anonimo (recomendado)" in resident.say("W 63rd St y S Halsted St")
    confirm = resident.say("1")
    assert confirm.startswith(
        "Enviar al 311: luz de callejon apagada en W 63rd St y S Halsted St, con su foto, anonimo"
    )
    done = resident.say("SI")
    assert done.startswith("Enviado al 311. Su numero de solicitud del 311 es SR"), done
    request_id = SR.search(done).group(0)

    request, form = filed(open311, request_id)
    assert request["service_code"] == OPEN311_CODES["alley_light"] and request["address"] == "W 63rd St y S Halsted St"
    assert request["media_url"] == PHOTO
    assert not PERSONAL & set(form) and resident.phone[2:] not in str(form) and resident.phone not in str(form)
    assert request["description"].startswith("Alley light out.")  # the city's words, not the resident's

    status = resident.say("ESTADO DEL REPORTE")
    assert f"Luz de callejon apagada: 311 #{request_id}, abierto." in status


def test_an_sms_resident_who_asks_to_be_contacted_gives_311_their_number(running, open311, sms):
    resident = SmsResident(sms)
    assert "Where is it?" in resident.say("street light out on my block")
    assert "anonymous (recommended)" in resident.say("1200 W Garfield Blvd")
    confirm = resident.say("2")
    assert "street light out at 1200 W Garfield Blvd, 311 may contact you at this number" in confirm
    request_id = SR.search(resident.say("YES")).group(0)
    request, form = filed(open311, request_id)
    assert request["service_code"] == OPEN311_CODES["street_light"] and form["phone"] == resident.phone


def test_a_web_chat_resident_reports_an_abandoned_building_and_checks_on_it(running, open311):
    resident = WebResident(running.bot_url)
    where = resident.say("abandoned building on my block, people going in at night")
    assert where.startswith("311 report: abandoned building. Where is it?") and "photo" not in where
    confirm = resident.say("5500 S Halsted St")  # web chat: never asked about contact
    assert confirm == (
        "Send to 311: abandoned building at 5500 S Halsted St, anonymous. Reply YES to send or NO to drop it."
    )
    done = resident.say("YES")
    assert done.startswith("Sent to 311. Your 311 request number is SR"), done
    request_id = SR.search(done).group(0)
    request, form = filed(open311, request_id)
    assert request["service_code"] == OPEN311_CODES["abandoned_building"] and request["address"] == "5500 S Halsted St"
    assert not PERSONAL & set(form) and resident.sender not in str(form)
    assert f"Abandoned building: 311 #{request_id}, open." in resident.say("status of my report")


def test_when_311_is_down_the_report_is_saved_and_said_so(running, open311):
    resident = WebResident(running.bot_url)
    resident.say("graffiti on the garage")
    resident.say("1300 W 51st St")
    open311.down = True
    try:
        answer = resident.say("YES")
        status = resident.say("REPORT STATUS")
    finally:
        open311.down = False
    assert answer.startswith("311 is not answering right now. Your report is saved") and "SR" not in answer
    assert status.startswith("Graffiti: saved, not yet sent to 311 (HZ-")


def test_cancel_drops_the_report_and_a_need_is_searched_after(running, open311):
    before = len(open311.received)
    resident = WebResident(running.bot_url)
    resident.say("the alley light behind my house is out")
    assert resident.say("cancel") == "OK, nothing was sent to 311."
    assert resident.say("I need housing").startswith("1. ")  # still a need, searched
    # Nothing filed for it (the report queued by the test before may be filed meanwhile: it is graffiti).
    assert [f for f in open311.received[before:] if f["service_code"] == OPEN311_CODES["alley_light"]] == []


def test_a_crisis_message_during_the_questions_gets_the_crisis_numbers_first(running):
    resident = WebResident(running.bot_url)
    resident.say("empty lot full of trash")
    crisis = resident.say("my boyfriend is choking me right now")
    assert "911" in crisis.split("\n")[0] and "Where is it" not in crisis and "Send to 311" not in crisis


def test_no_address_or_number_in_any_log_of_the_stack(running):
    """Runs after the conversations above (file order): the places they gave appear in no log."""
    logs = [p.read_bytes() for p in running.workdir.glob("run-*.log")]
    assert logs
    for secret in [*PLACES, PHOTO]:
        assert all(secret.encode() not in log for log in logs), secret
