"""Staff sign-in: Argon2 hashes, short-lived tokens, throttled attempts, roles read from the database."""

from __future__ import annotations

import subprocess
import sys
import uuid

import jwt
import pytest
from sqlalchemy import select

from api.crud.staff import StaffError
from api.db.models import StaffUser
from tests.api.factories import PASSWORD, new_user, sign_in
from tests.conftest import ROOT


def test_a_password_is_kept_only_as_an_argon2_hash(db):
    user = new_user(db)
    stored = db.scalar(select(StaffUser.password_hash).where(StaffUser.id == user.id))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(StaffError):
        new_user(db, password="short")
    with pytest.raises(StaffError):
        new_user(db, role="superuser")


def test_sign_in_gives_a_short_lived_token_for_me(client, db):
    user = new_user(db, role="supervisor")
    answer = sign_in(client, user.email.upper())  # emails are case-insensitive
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 15 * 60 and "role" not in claims and user.email not in str(claims)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["role"] == "supervisor"


def test_wrong_passwords_unknown_accounts_and_bad_tokens_are_refused(client, db):
    user = new_user(db)
    assert sign_in(client, user.email, "wrong password!!").status_code == 401
    assert sign_in(client, "nobody@cscc.example").status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401
    forged = jwt.encode({"sub": str(user.id), "exp": 4102444800}, "not-the-secret-" * 4, algorithm="HS256")
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {forged}"}).status_code == 401
    token = sign_in(client, user.email).json()["access_token"]
    user.active = False  # a disabled account loses access at once, token or not
    db.commit()
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_sign_in_is_throttled_per_account(client, db):
    user = new_user(db)
    codes = [sign_in(client, user.email, f"guess number {i:04d}").status_code for i in range(6)]
    assert codes == [401] * 5 + [429]
    assert sign_in(client, user.email).status_code == 429  # even the right password, until the window passes
    other = new_user(db)
    assert sign_in(client, other.email).status_code == 200  # another account is not affected


def test_the_cli_creates_accounts_with_a_password_from_stdin(tmp_path, database_settings):
    env = {"NAVIGATOR_DATABASE_URL": database_settings.database_url, "PATH": "/usr/bin:/bin"}
    email = f"{uuid.uuid4().hex[:8]}@cscc.example"
    run = [sys.executable, "-m", "api.staff", "create", "--email", email, "--role", "outreach", "--password-stdin"]
    ok = subprocess.run(run, input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert ok.returncode == 0 and email in ok.stdout and PASSWORD not in ok.stdout + ok.stderr
    again = subprocess.run(run, input=PASSWORD + "\n", capture_output=True, text=True, cwd=ROOT, env=env, check=False)
    assert again.returncode == 2 and "exists" in again.stderr and "Traceback" not in again.stderr
