"""The bot when things go wrong: a restart keeps conversations (SQLite tracker store) and the SMS MessageSids it
handled, and with the api unreachable crisis messages are still answered with their numbers and searches say how to
reach 211/311."""

import uuid

import httpx
import pytest

from tests.sms_client import SMS_ENV, SmsClient, new_phone, sender_id
from tests.stack import Stack, StackFailed, free_port


def say(base: str, sender: str, text: str) -> str:
    response = httpx.post(f"{base}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    assert response.status_code == 200
    return "\n".join(m.get("text", "") for m in response.json())


def test_restart_remembers_and_api_down_still_answers_crisis(tmp_path):
    sender = f"resilience-{uuid.uuid4().hex[:8]}"
    phone, sid = new_phone(), f"SM{uuid.uuid4().hex}"
    try:
        with Stack(tmp_path, overrides=SMS_ENV) as stack:
            assert "Hola" in say(stack.bot_url, sender, "hola, buenas tardes")
            _, first = SmsClient(stack.bot_url, tmp_path).send(phone, "I need a winter coat", sid=sid)
            assert first
            stored = len(SmsClient(stack.bot_url, tmp_path).events(sender_id(phone)))
        # Same tracker file, and the action server now points at an api that is not there.
        stack = Stack(tmp_path, overrides=dict(SMS_ENV))
        stack.overrides["NAVIGATOR_API_URL"] = f"http://127.0.0.1:{free_port(avoid=stack.ports.values())}"
        with stack:
            # Twilio retrying a message the bot handled before its restart: not processed again
            sms = SmsClient(stack.bot_url, tmp_path)
            _, replay = sms.send(phone, "I need a winter coat", sid=sid)
            assert replay == [] and len(sms.events(sender_id(phone))) == stored
            reply = say(stack.bot_url, sender, "necesito ayuda para pagar la luz")
            assert "211" in reply and "311" in reply  # told the truth, in Spanish: remembered across the restart
            assert "No puedo buscar" in reply
            crisis = say(stack.bot_url, f"{sender}-2", "my husband hits me when he drinks")
            assert "877-863-6338" in crisis and "911" in crisis
            both = say(stack.bot_url, f"{sender}-3", "my boyfriend is choking me right now")
            assert both.index("911") < both.index("877-863-6338")  # danger now first, then the partner-abuse line
    except StackFailed as exc:
        pytest.fail(str(exc))
