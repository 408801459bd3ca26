"""Contact details at rest: encrypted with a key from settings (libsodium secret box), so a copy of the database
without the key shows no phone number."""

from __future__ import annotations

import base64

from nacl.secret import SecretBox
from nacl.utils import random


def new_key() -> str:
    return base64.b64encode(random(SecretBox.KEY_SIZE)).decode()


def encrypt(contact: str, key_b64: str) -> bytes:
    return bytes(SecretBox(base64.b64decode(key_b64)).encrypt(contact.encode()))


def decrypt(token: bytes, key_b64: str) -> str:
    return SecretBox(base64.b64decode(key_b64)).decrypt(token).decode()
