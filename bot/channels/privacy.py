"""A resident's phone number never sits in the tracker in clear: the conversation is keyed by an HMAC of it, and
when a referral needs the number, it travels sealed to the api's public key (libsodium sealed box)."""

from __future__ import annotations

import base64
import hashlib
import hmac


def sender_id(phone: str, key: str) -> str:
    """The conversation id of a phone number: stable for a key, and not reversible without it."""
    digest = hmac.new(key.encode(), normalise_phone(phone).encode(), hashlib.sha256).hexdigest()
    return f"sms-{digest[:40]}"


def normalise_phone(phone: str) -> str:
    digits = "".join(ch for ch in phone if ch.isdigit())
    return f"+{digits}" if digits else phone.strip()


def seal(phone: str, public_key_b64: str) -> str:
    """The number encrypted so that only the holder of the api's private key can read it."""
    from nacl.public import PublicKey, SealedBox

    box = SealedBox(PublicKey(base64.b64decode(public_key_b64)))
    return base64.b64encode(box.encrypt(normalise_phone(phone).encode())).decode()
