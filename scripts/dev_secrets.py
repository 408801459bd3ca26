"""Secrets for a laptop run, made once and kept in var/dev-secrets.env (never committed).

Only keys that neither the environment nor .env sets are written, so an operator's own values always win; the
file is reused on later runs because the sender-id key must stay the same for conversations and opt-outs to hold.
Usage: python scripts/dev_secrets.py var/dev-secrets.env
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.core.contact_box import new_key
from api.core.contact_seal import new_keypair


def read_env(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def main(target: Path) -> None:
    given = {k: v for k, v in {**read_env(Path(".env")), **os.environ}.items() if v}
    kept = read_env(target)
    private, public = kept.get("NAVIGATOR_CONTACT_PRIVATE_KEY"), kept.get("NAVIGATOR_CONTACT_PUBLIC_KEY")
    if not (private and public):
        private, public = new_keypair()
    wanted = {
        "NAVIGATOR_SERVICE_TOKEN": kept.get("NAVIGATOR_SERVICE_TOKEN") or secrets.token_urlsafe(32),
        "NAVIGATOR_SENDER_ID_KEY": kept.get("NAVIGATOR_SENDER_ID_KEY") or secrets.token_urlsafe(32),
        "NAVIGATOR_REFERRAL_CONTACT_KEY": kept.get("NAVIGATOR_REFERRAL_CONTACT_KEY") or new_key(),
        "NAVIGATOR_AUTH_SECRET": kept.get("NAVIGATOR_AUTH_SECRET") or secrets.token_urlsafe(48),
        "NAVIGATOR_CONTACT_PRIVATE_KEY": private,
        "NAVIGATOR_CONTACT_PUBLIC_KEY": public,
    }
    # A key pair is only useful whole: if the operator sets either half, neither generated half is written.
    if "NAVIGATOR_CONTACT_PRIVATE_KEY" in given or "NAVIGATOR_CONTACT_PUBLIC_KEY" in given:
        wanted.pop("NAVIGATOR_CONTACT_PRIVATE_KEY")
        wanted.pop("NAVIGATOR_CONTACT_PUBLIC_KEY")
    lines = [f"{key}={value}" for key, value in wanted.items() if key not in given]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.touch(mode=0o600)
    target.write_text(
        "# Generated for a laptop run by scripts/dev_secrets.py; set your own in .env for production.\n"
        + "".join(f"{line}\n" for line in lines)
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
