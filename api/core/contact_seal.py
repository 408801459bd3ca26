"""Residents' phone numbers arrive sealed (libsodium sealed box) by the SMS channel; only the api can open them.

The bot holds the public key, so a tracker or a log that leaks shows ciphertext, never a number.
"""

from __future__ import annotations

import base64
import binascii

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox


class SealBroken(ValueError):
    """Not a number sealed to our key (tampered, truncated, or sealed to another key)."""


def new_keypair() -> tuple[str, str]:
    """(private, public), base64: the private key goes to the api, the public one to the bot."""
    key = PrivateKey.generate()
    return base64.b64encode(bytes(key)).decode(), base64.b64encode(bytes(key.public_key)).decode()


def open_sealed(token: str, private_key_b64: str) -> str:
    try:
        box = SealedBox(PrivateKey(base64.b64decode(private_key_b64)))
        return box.decrypt(base64.b64decode(token, validate=True)).decode()
    except (CryptoError, binascii.Error, ValueError, TypeError) as exc:
        raise SealBroken("the sealed contact could not be opened") from exc
