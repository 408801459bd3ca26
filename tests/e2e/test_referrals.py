"""Warm referrals end to end, as `make run` starts Navigator: a resident over the REST channel (as the web chat) and one
over the signed SMS webhook each ask to be connected, answer the questions, say YES, and get a CSCC- code; a
supervisor then sees the referral through the api with its consent record and the number; STATUS and CANCEL REFERRAL
work; and no number or name shows up in any log of the stack."""

from __future__ import annotations

import re
import subprocess
import uuid

import httpx
import pytest

from tests.sms_client import SmsClient, new_phone, sender_id
from tests.stack import ROOT

CODE = re.compile(r"CSCC-[ACDEFGHJKMNPQRTUVWXY34679]{6}")
PASSWORD = "a long supervisor passphrase"


class WebResident:
    def __init__(self, bot_url: str) -> None:
        self.bot_url = bot_url
        self.sender = f"web-{uuid.uuid4()}"

    def say(self, text: str) -> str:
        response = httpx.post(
            f"{self.bot_url}/webhooks/rest/webhook", json={"sender": self.sender, "message": text}, timeout=60
        )
        assert response.status_code == 200
        return "\n".join(m.get("text", "") for m in response.json() if m.get("text"))


# Every number and name the conversations give, searched for in the logs at the end.
GIVEN: list[str] = ["5550142", "555-0142", "5550177", "555 0177", "Marisol"]


class SmsResident:
    def __init__(self, client: SmsClient) -> None:
        self.client = client
        self.phone = new_phone()
        GIVEN.extend([self.phone, self.phone[2:]])
        self.sender = sender_id(self.phone)

    def say(self, text: str) -> str:
        _, replies = self.client.send(self.phone, text)
        return "\n".join(replies)


@pytest.fixture(scope="module")
def supervisor(running) -> dict[str, str]:
    """A supervisor account made with the operators' CLI in the stack's database, signed in through the api."""
    email = f"sup-{uuid.uuid4().hex[:6]}@cscc.example"
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "api.staff", "create", "--email", email, "--role", "supervisor",
         "--password-stdin"],
        input=PASSWORD.encode(), env=running.env, cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    token = httpx.post(f"{running.api_url}/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def referral(running, supervisor, code: str) -> dict:
    answer = httpx.get(f"{running.api_url}/api/v1/referrals/{code}", headers=supervisor, timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_web_chat_resident_is_referred_with_consent_and_can_check_and_cancel(running, supervisor):
    resident = WebResident(running.bot_url)
    listing = resident.say("i need food near 60623")
    assert listing.startswith("1. ") and "CONNECT" in listing  # the offer comes with the results
    intro = resident.say("CONNECT")
    # Before any question: who, how soon, what is shared and kept, and how to cancel.
    assert all(words in intro for words in ("CSCC outreach", "business days", "180 days", "CANCEL REFERRAL"))
    assert "first name or nickname" in intro
    assert "1 by text" in resident.say("Marisol")
    assert "What number" in resident.say("1")
    assert "10 digits" in resident.say("12345")  # not a number: asked again
    assert "safe" in resident.say("(773) 555-0142")
    assert "When is it safe" in resident.say("1")  # text only: no voicemail question
    assert "Which language" in resident.say("after 6 pm")
    consent = resident.say("2")
    assert "Reply YES" in consent and "text the number you gave" in consent and "(after 6 pm)" in consent
    assert "clear YES" in resident.say("ok")  # consent is explicit: "ok" is not YES
    done = resident.say("YES")
    code = CODE.search(done).group(0)

    seen = referral(running, supervisor, code)
    assert seen["channel"] == "web" and seen["language"] == "es" and seen["status"] == "new"
    assert seen["contact"] == "+17735550142" and seen["first_name"] == "Marisol"
    assert seen["safe_to_text"] and not seen["safe_to_call"] and seen["safe_times"] == "after 6 pm"
    assert seen["consent_text"] == consent  # the exact text the resident answered YES to
    assert seen["community_area"] == "South Lawndale" and seen["needs"] and seen["programs"]

    status = resident.say("STATUS")
    assert code in status and "received" in status
    cancelled = resident.say("CANCEL REFERRAL")
    assert code in cancelled and "erased" in cancelled
    after = referral(running, supervisor, code)
    assert after["status"] == "closed" and after["contact"] is None and after["first_name"] is None
    assert "closed" in resident.say("status")


def test_an_sms_resident_is_referred_at_the_number_they_text_from(running, supervisor):
    resident = SmsResident(SmsClient(running.bot_url, running.workdir))
    resident.say("necesito ayuda con la renta en Pilsen")
    intro = resident.say("CONECTAR")
    assert "CANCELAR REFERIDO" in intro and "180 dias" in intro
    assert "4 yo llamo" in resident.say("no")  # no name given
    assert "seguro" in resident.say("2")  # call this number: no number asked, it is the one texting
    assert "mensaje de voz" in resident.say("2")  # calls only
    assert "Cuando" in resident.say("NO")  # no voicemail
    assert "idioma" in resident.say("cualquiera")
    consent = resident.say("2")
    assert "a este numero" in consent and "sin mensaje de voz" in consent and "Responda SI" in consent
    code = CODE.search(resident.say("Sí")).group(0)

    seen = referral(running, supervisor, code)
    assert seen["channel"] == "sms" and seen["contact"] == resident.phone  # opened from the sealed number
    assert seen["safe_to_call"] and not seen["safe_to_text"] and seen["no_voicemail"]
    assert seen["first_name"] is None and seen["safe_times"] is None
    assert seen["consent_text"] == consent and seen["consent_scope"]
    assert [e["to_status"] for e in seen["history"]] == ["new"]

    assert code in resident.say("ESTADO")
    assert "cancelado" in resident.say("CANCELAR REFERIDO")
    assert referral(running, supervisor, code)["contact"] is None


def count_referrals(running, supervisor) -> int:
    answer = httpx.get(f"{running.api_url}/api/v1/referrals", headers=supervisor, params={"limit": 200}, timeout=30)
    assert answer.status_code == 200
    return len(answer.json())


def test_no_consent_means_no_referral_but_the_programs_numbers(running, supervisor):
    before = count_referrals(running, supervisor)
    resident = WebResident(running.bot_url)
    resident.say("food pantry near 60623")
    resident.say("2")  # details of program 2: the referral is about it
    assert "first name" in resident.say("connect me")
    resident.say("skip")
    resident.say("2")
    resident.say("773 555 0177")
    assert "voicemail" in resident.say("3")
    resident.say("yes")
    resident.say("any")
    assert "Reply YES" in resident.say("1")
    declined = resident.say("NO")
    assert "no request was sent" in declined and "You can call them yourself" in declined
    assert re.search(r"\d{3}-\d{3}-\d{4}", declined)
    assert "no referral" in resident.say("STATUS")
    assert count_referrals(running, supervisor) == before


def test_i_will_call_them_myself_gives_the_number_and_sends_nothing(running):
    resident = WebResident(running.bot_url)
    resident.say("i need a food pantry near 60623")
    resident.say("CONNECT")
    resident.say("Jo")
    answer = resident.say("3")  # web: 3 = I will call the program myself
    assert "You can call them yourself" in answer and "no request was sent" not in answer
    assert "no referral" in resident.say("STATUS")


def test_a_crisis_message_during_the_questions_gets_the_crisis_numbers_first(running):
    resident = WebResident(running.bot_url)
    resident.say("CONNECT")
    resident.say("food")
    crisis = resident.say("my boyfriend is choking me right now")
    assert crisis.lstrip().startswith("If you") or "911" in crisis.split("\n")[0]
    assert "Reply YES" not in crisis


def test_no_number_or_name_in_any_log_of_the_stack(running):
    """Runs after the conversations above (file order): the numbers and names they gave appear in no log."""
    logs = [p.read_bytes() for p in running.workdir.glob("run-*.log")]
    assert len(GIVEN) > 5 and logs
    for secret in GIVEN:
        assert all(secret.encode() not in log for log in logs), secret
