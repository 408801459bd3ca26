"""Schemathesis against the api's own OpenAPI document (/openapi.json), in process over the `client` fixture's app.

Every operation in the document is exercised with generated input, valid and invalid: the public program endpoints
as a resident's page calls them, the action server's endpoints with its service token, the staff endpoints with a
supervisor's token. Each response must not be a server error, must carry a status code the operation declares, and
its body must match the declared schema. The run is bounded (a few examples per operation, derandomized) so CI is
repeatable and quick. POST /api/v1/chat relays to the bot, which is not running here: it answers 503, as declared.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from argon2 import PasswordHasher
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.core import security
from api.crud import staff
from api.main import create_app
from api.routes import checkins
from tests.api.factories import PASSWORD, new_user, sign_in

# Minutes of fault injection and fuzzing: `make test-reliability`, outside `make test`'s time budget.
pytestmark = pytest.mark.reliability

SERVICE = "service-token-for-schema-tests"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# The action server's endpoints; everything else under /api/v1 except programs, chat and sign-in is staff's.
SERVICE_ONLY = (("POST", "/api/v1/referrals"), ("GET", "/api/v1/conversations/"), ("POST", "/api/v1/conversations/"),
                ("POST", "/api/v1/checkins/answers"), ("POST", "/api/v1/hazard-reports"))  # fmt: skip
# Twilio's delivery reports carry its signature, not a token.
PUBLIC = ("/healthz", "/livez", "/readyz", "/api/v1/programs", "/api/v1/places", "/api/v1/events", "/api/v1/chat",
          "/api/v1/auth/token", "/api/v1/checkins/status")  # fmt: skip


@pytest.fixture(scope="module")
def tokens(client) -> Iterator[dict[str, dict[str, str]]]:
    """Authorization headers: the action server's service token and a supervisor's bearer token. Password hashes at
    argon2id's lowest cost here, as in the api suites: sign-in attempts are part of what is generated."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(staff, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        staff.dummy_hash.cache_clear()
        patch.setenv("NAVIGATOR_SERVICE_TOKEN", SERVICE)
        security.security_settings.cache_clear()
        # Check-in delivery reports configured, as in production: generated ones then meet the signature check.
        patch.setenv("TWILIO_AUTH_TOKEN", "twilio-token-for-schema-tests")
        patch.setenv("NAVIGATOR_PUBLIC_API_URL", "https://navigator.example.org")
        checkins.checkin_settings.cache_clear()
        with client.app.state.db_sessions() as db:
            supervisor = new_user(db, role="supervisor")
            email = supervisor.email
        answer = sign_in(client, email, PASSWORD)
        assert answer.status_code == 200, answer.text
        yield {
            "service": {"Authorization": f"Bearer {SERVICE}"},
            "supervisor": {"Authorization": f"Bearer {answer.json()['access_token']}"},
            "public": {},
        }
    security.security_settings.cache_clear()
    checkins.checkin_settings.cache_clear()
    staff.dummy_hash.cache_clear()


# The document as the app serves it, built at import (create_app loads nothing until its lifespan) so that each
# operation is its own test; test_the_document_is_the_served_one checks it against the running app's /openapi.json.
DOCUMENT = create_app().openapi()
schema = schemathesis.openapi.from_dict(DOCUMENT)
# Credentials are ours (see `tokens`), not generated from the security schemes.
schema.config.generation.update(with_security_parameters=False)


@pytest.fixture(scope="module")
def in_process(client):
    """A requests session into the `client` fixture's app, in process. Never entered as a context manager: that
    would start the app's lifespan a second time, and the one Qdrant folder admits one client."""
    return asgi.get_client(client.app)


def test_the_document_is_the_served_one(client):
    assert client.get("/openapi.json").json() == DOCUMENT


def who_calls(method: str, path: str) -> str:
    if any(method == m and path.startswith(p) for m, p in SERVICE_ONLY):
        return "service"
    if path.startswith(PUBLIC):
        return "public"
    return "supervisor"


@schema.parametrize()
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_declares(case, tokens, in_process):
    headers = tokens[who_calls(case.method.upper(), case.path)]
    case.call_and_validate(base_url="http://testserver", session=in_process, headers=headers, checks=CHECKS)
