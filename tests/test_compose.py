"""The production stack's shape: docker-compose.yml, docker/*.Dockerfile and the scale-out override.

There is no Docker engine here, so nothing is built or started: the files are parsed and checked for what a
deployment relies on — nine services, pinned images, secrets that stop the stack when missing and reach only the
services that need them, ports on 127.0.0.1 for the api and the bot only, health checks and healthy dependencies,
named volumes, and images installed from the lock files with the bot's model trained at build time. Each check is a
function returning the problems it finds; the last tests feed them broken input to show that they do find them.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
SCALE = ROOT / "docker" / "compose.scale.yml"
DOCKERFILES = {
    "api": ROOT / "docker" / "api.Dockerfile",  # also the check-in scheduler's, the 311 filer's, the feed import's
    "actions": ROOT / "docker" / "actions.Dockerfile",
    "bot": ROOT / "docker" / "bot.Dockerfile",
}
SERVICES = {"api", "checkins", "hazard-filing", "event-import", "actions", "bot", "qdrant", "postgres", "redis"}
PUBLISHED = {"api", "bot"}

# Who may see each secret. Anything else seeing it is a leak; a service that needs it and lacks it would not start.
SECRETS = {
    # The bot asks the api whether a bare 1, 2 or 3 answers a check-in.
    "NAVIGATOR_SERVICE_TOKEN": {"api", "actions", "bot"},
    # The scheduler reads the number of a referral to text it a check-in.
    # ... and the 311 filer the number of a resident who asked 311 to contact them.
    "NAVIGATOR_REFERRAL_CONTACT_KEY": {"api", "checkins", "hazard-filing"},
    "NAVIGATOR_AUTH_SECRET": {"api"},
    "NAVIGATOR_CONTACT_PRIVATE_KEY": {"api"},
    "NAVIGATOR_CONTACT_PUBLIC_KEY": {"bot", "actions"},
    # The scheduler finds a number's STOP by the bot's keyed id of it.
    "NAVIGATOR_SENDER_ID_KEY": {"bot", "checkins"},
    # The api checks the signature of Twilio's delivery reports; the scheduler sends.
    "TWILIO_AUTH_TOKEN": {"bot", "api", "checkins"},
    "TWILIO_ACCOUNT_SID": {"bot", "checkins"},
    "NAVIGATOR_PUBLIC_BOT_URL": {"bot"},
    "NAVIGATOR_PUBLIC_API_URL": {"api", "checkins"},
    "NAVIGATOR_SMS_FROM_NUMBER": {"checkins"},
    "POSTGRES_PASSWORD": {"postgres", "api", "checkins", "hazard-filing", "event-import", "bot"},
    # The api files a new hazard report at once; the filer files what the city did not take.
    "NAVIGATOR_OPEN311_API_KEY": {"api", "hazard-filing"},
    "REDIS_PASSWORD": {"redis", "bot"},
    "QDRANT_API_KEY": {"qdrant", "api"},
}
# Secret-looking names that may be empty: the first admin is optional (accounts can be made with api.staff later).
OPTIONAL_SECRETS = {"NAVIGATOR_FIRST_ADMIN_PASSWORD"}
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|_KEY$")

DEPENDS = {
    "api": {"postgres", "qdrant"},
    "checkins": {"api"},
    "hazard-filing": {"api"},
    "event-import": {"api"},
    "actions": {"api"},
    "bot": {"postgres", "redis", "actions"},
}
VOLUMES = {
    "postgres": "/var/lib/postgresql/data",
    "qdrant": "/qdrant/storage",
    "redis": "/data",
    "actions": "/data",
}
# Which requirements each image installs, and the lock that pins them.
REQUIREMENTS = {
    "api": ("docker/api.requirements.in", "requirements/venv.lock"),
    "actions": ("docker/actions.requirements.in", "requirements/bot.lock"),
    "bot": ("requirements/bot.in", "requirements/bot.lock"),
}
# requirements/venv.in packages the api image leaves out: development, tests and `make run` only.
API_DEV_ONLY = {
    "honcho",
    "pytest",
    "pytest-timeout",
    "ruff",
    "playwright",
    "axe-playwright-python",
    "hypothesis",
    "schemathesis",
}
# Variables the bot passes to bot/endpoints-scaled.yml and the Procfile rather than to a settings class.
ENDPOINT_VARS = {
    "NAVIGATOR_BOT_ENDPOINTS",
    "NAVIGATOR_TRACKER_DB_HOST",
    "NAVIGATOR_TRACKER_DB_PORT",
    "NAVIGATOR_TRACKER_DB_NAME",
    "NAVIGATOR_TRACKER_DB_USER",
    "NAVIGATOR_TRACKER_DB_PASSWORD",
    "NAVIGATOR_REDIS_HOST",
    "NAVIGATOR_REDIS_PORT",
    "NAVIGATOR_REDIS_PASSWORD",
    "NAVIGATOR_REDIS_DB",
}

# An exact release: x.y.z, or x.y for PostgreSQL, whose releases since 10 have two parts (15.20 is one release).
VERSION_TAG = re.compile(r"^v?\d+\.\d+\.\d+(-[a-z0-9.-]+)?$")
POSTGRES_TAG = re.compile(r"^\d{2,}\.\d+(-[a-z0-9.-]+)?$")
# ${NAME}, ${NAME:?msg}, ${NAME?msg}, ${NAME:-default}, ${NAME-default}; $$ is a literal dollar for the container.
INTERPOLATION = re.compile(r"(?<!\$)\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:\?|\?|:-|-|:\+|\+)?(?P<arg>[^}]*)\}")
BARE_VARIABLE = re.compile(r"(?<!\$)\$(?!\$|\{)[A-Za-z_]")


class ComposeLoader(yaml.SafeLoader):
    """Compose's YAML: `!reset` (clear an inherited value in an override file) reads as None."""


ComposeLoader.add_constructor("!reset", lambda loader, node: None)


def load(path: Path) -> dict[str, Any]:
    return yaml.load(path.read_text(), Loader=ComposeLoader)  # a SafeLoader subclass: no arbitrary objects


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load(COMPOSE)


def strings(node: Any) -> list[str]:
    """Every string (keys and values) under a node of the parsed file."""
    if isinstance(node, dict):
        return [s for k, v in node.items() for s in [*strings(k), *strings(v)]]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return [node] if isinstance(node, str) else []


def referenced(node: Any) -> set[str]:
    return {m["name"] for text in strings(node) for m in INTERPOLATION.finditer(text)}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: str(value) for key, value in env.items()}


# --- the checks -------------------------------------------------------------------------------------------------


def interpolation_problems(text: str) -> list[str]:
    """Secrets must be ${VAR:?message}: a missing or empty one stops `docker compose` before anything starts."""
    problems = []
    for match in INTERPOLATION.finditer(text):
        name, op, arg = match["name"], match["op"], match["arg"]
        secret = name in SECRETS or (SECRET_NAME.search(name) and name not in OPTIONAL_SECRETS)
        if secret and (op != ":?" or not arg.strip()):
            problems.append(f"{match[0]}: a secret must be written ${{{name}:?message}}")
    problems += [f"unbraced variable near {m.start()}: write ${{NAME...}}" for m in BARE_VARIABLE.finditer(text)]
    return problems


def secret_distribution_problems(services: dict[str, Any]) -> list[str]:
    problems = []
    for secret, allowed in SECRETS.items():
        seen = {name for name, service in services.items() if secret in referenced(service)}
        if seen - allowed:
            problems.append(f"{secret} leaks to {sorted(seen - allowed)}")
        if allowed - seen:
            problems.append(f"{secret} missing from {sorted(allowed - seen)}")
    for name, service in services.items():
        if "env_file" in service:
            problems.append(f"{name}: env_file hands a service every secret in the file")
    return problems


def port_problems(services: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in services.items():
        if service.get("network_mode") == "host":
            problems.append(f"{name}: host networking bypasses the port rules")
        ports = service.get("ports") or []
        if ports and name not in PUBLISHED:
            problems.append(f"{name} publishes {ports}: only {sorted(PUBLISHED)} may")
        for port in ports:
            host_ip = port.get("host_ip") if isinstance(port, dict) else str(port).split(":")[0]
            if isinstance(port, dict) or str(port).count(":") != 2 or host_ip != "127.0.0.1":
                problems.append(f"{name}: {port!r} must be bound as 127.0.0.1:HOST:CONTAINER")
    return problems


def image_problems(image: str) -> list[str]:
    repository, _, tag = image.rpartition(":")
    exact = POSTGRES_TAG if repository.rsplit("/", 1)[-1] == "postgres" else VERSION_TAG
    if not repository or "/" in tag or not exact.match(tag):
        return [f"{image}: pin an exact version tag (x.y.z), not {tag or 'no tag'}"]
    return []


def health_problems(services: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in services.items():
        check = service.get("healthcheck") or {}
        test = check.get("test")
        if check.get("disable") or not test or test == ["NONE"]:
            problems.append(f"{name}: no health check")
        if service.get("restart") != "unless-stopped":
            problems.append(f"{name}: restart should be unless-stopped")
        if "container_name" in service:
            problems.append(f"{name}: container_name prevents --scale")
        depends = service.get("depends_on") or {}
        if isinstance(depends, list):
            problems.append(f"{name}: depends_on without a condition only waits for a start, not for health")
            continue
        for target, how in depends.items():
            if (how or {}).get("condition") != "service_healthy":
                problems.append(f"{name} -> {target}: condition must be service_healthy")
            elif not (services.get(target) or {}).get("healthcheck"):
                problems.append(f"{name} -> {target}: {target} has no health check to wait for")
    return problems


def run_commands(dockerfile: str) -> list[str]:
    """The shell commands of every RUN, continuation lines joined and split at &&, ; and ||."""
    joined = re.sub(r"\\\n", " ", dockerfile)
    runs = [line.strip()[4:] for line in joined.splitlines() if line.strip().upper().startswith("RUN ")]
    return [part.strip() for run in runs for part in re.split(r"&&|\|\||;", run) if part.strip()]


def pip_problems(dockerfile: str) -> list[str]:
    """Every pip install is pinned by a lock: -c/-r LOCK, or one package taken from the lock by grep (torch)."""
    problems = []
    for command in run_commands(dockerfile):
        if not re.search(r"\bpip3?\s+install\b", command):
            continue
        pinned = re.search(r"(-c|-r|--constraint|--requirement)\s+\S+\.lock\b", command) or re.search(
            r"\"\$\(grep -E '\^[A-Za-z0-9_.-]+==' \S+\.lock\)\"", command
        )
        if not pinned:
            problems.append(f"unpinned: {command}")
        if re.search(r"--(extra-)?index-url", command) and "--no-deps" not in command:
            problems.append(f"another index may only serve one pinned package, with --no-deps: {command}")
    return problems


def from_problems(dockerfile: str) -> list[str]:
    problems, stages = [], set()
    for line in dockerfile.splitlines():
        match = re.match(r"\s*FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", line, re.IGNORECASE)
        if not match:
            continue
        image, stage = match.groups()
        if image not in stages:
            problems += image_problems(image)
        if stage:
            stages.add(stage)
    return problems


def requirement_names(path: Path) -> dict[str, str]:
    """Normalised name -> the line, for a requirements or lock file."""
    names = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            name = re.split(r"[\[=<>!~; ]", line, maxsplit=1)[0]
            names[re.sub(r"[-_.]+", "-", name).lower()] = line
    return names


# --- the compose file -------------------------------------------------------------------------------------------


def test_the_nine_services(compose):
    assert set(compose["services"]) == SERVICES
    for name in ("api", "actions", "bot"):
        assert compose["services"][name]["build"]["dockerfile"] == f"docker/{name}.Dockerfile"
        assert "image" not in compose["services"][name], "our images are built here, not pulled"
    # The check-in scheduler is the api's image running another command, with the api's database.
    checkins, api = compose["services"]["checkins"], compose["services"]["api"]
    assert checkins["build"] == api["build"] and checkins["command"] == ["python", "-m", "api.checkins"]
    assert environment(checkins)["NAVIGATOR_DATABASE_URL"] == environment(api)["NAVIGATOR_DATABASE_URL"]
    assert environment(checkins)["NAVIGATOR_SMS_STATE_URL"] == environment(api)["NAVIGATOR_SMS_STATE_URL"]
    assert "ports" not in checkins
    filer = compose["services"]["hazard-filing"]
    assert filer["build"] == api["build"] and filer["command"] == ["python", "-m", "api.hazard_filing"]
    assert environment(filer)["NAVIGATOR_DATABASE_URL"] == environment(api)["NAVIGATOR_DATABASE_URL"]
    assert "ports" not in filer
    # The calendar feed import: the same image and database; it fetches partners' feeds, so it is on the edge network.
    feeds = compose["services"]["event-import"]
    assert feeds["build"] == api["build"] and feeds["command"] == ["python", "-m", "api.events", "watch"]
    assert environment(feeds)["NAVIGATOR_DATABASE_URL"] == environment(api)["NAVIGATOR_DATABASE_URL"]
    assert "ports" not in feeds and "edge" in feeds["networks"]
    # Optional (the import idles without feeds), and only there: a private calendar link in it is a secret.
    assert environment(feeds)["NAVIGATOR_EVENT_FEEDS"] == "${NAVIGATOR_EVENT_FEEDS:-[]}"
    assert {name for name, s in compose["services"].items() if "NAVIGATOR_EVENT_FEEDS" in referenced(s)} == {
        "event-import"
    }


def test_images_are_pinned(compose):
    images = {name: s["image"] for name, s in compose["services"].items() if "image" in s}
    assert set(images) == {"qdrant", "postgres", "redis"}
    assert [p for image in images.values() for p in image_problems(image)] == []
    # The Qdrant server's major.minor is qdrant-client's, as the client expects.
    client = requirement_names(ROOT / "requirements/venv.lock")["qdrant-client"].split("==")[1]
    assert images["qdrant"].split(":v")[1].split(".")[:2] == client.split(".")[:2]


def test_secrets_stop_the_stack_when_missing(compose):
    text = COMPOSE.read_text()
    assert interpolation_problems(text) == []
    # Every secret is required somewhere: none can be forgotten silently.
    required = {m["name"] for m in INTERPOLATION.finditer(text) if m["op"] == ":?"}
    assert set(SECRETS) <= required


def test_each_service_gets_only_its_secrets(compose):
    assert secret_distribution_problems(compose["services"]) == []


def test_only_api_and_bot_publish_and_only_on_loopback(compose):
    services = compose["services"]
    assert port_problems(services) == []
    assert services["api"]["ports"] == ["127.0.0.1:8000:8000"]
    assert services["bot"]["ports"] == ["127.0.0.1:5005:5005"]


def test_data_services_are_on_an_internal_network_only(compose):
    networks = compose["networks"]
    for name in ("qdrant", "postgres", "redis", "actions"):
        joined = compose["services"][name]["networks"]
        assert joined and all((networks[n] or {}).get("internal") is True for n in joined), name
    # The api and the bot need a non-internal network for their published ports.
    for name in PUBLISHED:
        assert any(not (networks[n] or {}).get("internal") for n in compose["services"][name]["networks"]), name


def test_health_checks_dependencies_and_restarts(compose):
    services = compose["services"]
    assert health_problems(services) == []
    assert {name: set(s.get("depends_on") or {}) for name, s in services.items() if s.get("depends_on")} == DEPENDS
    tests = {name: " ".join(s["healthcheck"]["test"]) for name, s in services.items()}
    assert "127.0.0.1:8000/healthz" in tests["api"]
    assert "127.0.0.1:5055/health" in tests["actions"]
    assert "127.0.0.1:5005/" in tests["bot"] and "Hello from Rasa" in tests["bot"]
    assert "/readyz" in tests["qdrant"]
    assert tests["checkins"] == "CMD python -m api.checkins --healthy"
    assert tests["hazard-filing"] == "CMD python -m api.hazard_filing --healthy"
    assert tests["event-import"] == "CMD python -m api.events watch --healthy"
    assert "pg_isready" in tests["postgres"]
    assert "redis-cli ping" in tests["redis"]


def test_state_lives_on_named_volumes(compose):
    declared = set(compose["volumes"])
    for name, target in VOLUMES.items():
        mounts = [str(v).split(":") for v in compose["services"][name]["volumes"]]
        assert any(src in declared and dst == target for src, dst, *_ in mounts), f"{name}: {target} not on a volume"
    assert environment(compose["services"]["actions"])["NAVIGATOR_REFERRAL_OUTBOX"] == "/data/referral-outbox.db"
    redis_command = " ".join(compose["services"]["redis"]["command"])
    assert "--appendonly yes" in redis_command and "--requirepass" in redis_command


def test_services_reach_each_other_by_name(compose):
    services = compose["services"]
    api, bot, actions = (environment(services[n]) for n in ("api", "bot", "actions"))
    assert api["NAVIGATOR_API_HOST"] == "0.0.0.0"
    assert api["NAVIGATOR_QDRANT_URL"] == "http://qdrant:6333"
    assert api["NAVIGATOR_DATABASE_URL"].startswith("postgresql+psycopg://navigator:")
    assert api["NAVIGATOR_DATABASE_URL"].endswith("@postgres:5432/navigator")
    assert api["NAVIGATOR_API_WORKERS"].startswith("${NAVIGATOR_API_WORKERS:-")
    assert api["NAVIGATOR_BOT_URL"] == "http://bot:5005"
    # Behind the TLS proxy the api must see https (the staff cookie's Secure flag depends on it).
    assert api["FORWARDED_ALLOW_IPS"] == "*"
    # Retention, run in the api's container, erases from the same stores the bot writes.
    assert api["NAVIGATOR_TRACKER_URL"] == bot["NAVIGATOR_SMS_STATE_URL"] == api["NAVIGATOR_SMS_STATE_URL"]
    assert api["NAVIGATOR_TRACKER_URL"].endswith("@postgres:5432/" + bot["NAVIGATOR_TRACKER_DB_NAME"])
    assert actions["NAVIGATOR_API_URL"] == bot["NAVIGATOR_API_URL"] == "http://api:8000"
    assert bot["NAVIGATOR_ACTIONS_URL"] == "http://actions:5055/webhook"
    assert bot["NAVIGATOR_BOT_ENDPOINTS"] == "bot/endpoints-scaled.yml"
    assert (bot["NAVIGATOR_TRACKER_DB_HOST"], bot["NAVIGATOR_REDIS_HOST"]) == ("postgres", "redis")
    # The bot's own database exists: the postgres image creates it on first start.
    init = [str(v) for v in services["postgres"]["volumes"] if "docker-entrypoint-initdb.d" in str(v)]
    assert len(init) == 1
    sql = (ROOT / init[0].split(":")[0]).read_text()
    assert f"CREATE DATABASE {bot['NAVIGATOR_TRACKER_DB_NAME']};" in sql


def test_bot_endpoints_read_only_what_the_bot_is_given(compose):
    endpoints = ROOT / "bot" / "endpoints-scaled.yml"
    if not endpoints.exists():
        pytest.skip("bot/endpoints-scaled.yml is not in this checkout yet")
    wanted = set(re.findall(r"\$\{([A-Z0-9_]+)", endpoints.read_text()))
    assert wanted, "endpoints-scaled.yml reads its settings from the environment"
    assert wanted <= set(environment(compose["services"]["bot"]))


def test_navigator_settings_are_documented(compose):
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.MULTILINE))
    given = {
        key
        for name in ("api", "checkins", "hazard-filing", "event-import", "actions", "bot")
        for key in environment(compose["services"][name])
        if key.startswith("NAVIGATOR_") or key.startswith("TWILIO_")
    }
    assert given - documented - ENDPOINT_VARS == set()


# --- the images -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_dockerfile_bases_are_pinned_and_installs_come_from_the_lock(name):
    text = DOCKERFILES[name].read_text()
    assert from_problems(text) == []
    assert pip_problems(text) == []
    # The requirements it installs are the ones named here, and the lock pins every one of them.
    requirements, lock = REQUIREMENTS[name]
    commands = [c for c in run_commands(text) if re.search(r"\bpip install -r", c)]
    assert any(Path(requirements).name in c and f"-c /tmp/requirements/{Path(lock).name}" in c for c in commands)
    assert re.search(rf"COPY .*{re.escape(requirements)}", text) and re.search(rf"COPY .*{re.escape(lock)}", text)
    locked = requirement_names(ROOT / lock)
    assert set(requirement_names(ROOT / requirements)) - set(locked) == set()


@pytest.mark.parametrize("name", sorted(DOCKERFILES))
def test_images_run_as_a_user_and_never_hold_secrets(name):
    text = DOCKERFILES[name].read_text()
    final_stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    users = re.findall(r"^USER\s+(\S+)", final_stage, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert not re.search(r"^(ENV|ARG)\s.*(PASSWORD|TOKEN|SECRET|_KEY)\b", text, re.MULTILINE)
    assert not re.search(r"^COPY\s+(\.\s|\.env|var/|models/)", text, re.MULTILINE)


def test_api_image_has_every_runtime_requirement():
    runtime = set(requirement_names(ROOT / "requirements/venv.in")) - API_DEV_ONLY
    image = requirement_names(ROOT / "docker/api.requirements.in")
    assert set(image) == runtime
    # torch comes from the CPU index at the lock's version; the .in agrees with it.
    locked_torch = requirement_names(ROOT / "requirements/venv.lock")["torch"]
    assert locked_torch.startswith(image["torch"]) and locked_torch.endswith("+cpu")
    assert "--index-url https://download.pytorch.org/whl/cpu" in DOCKERFILES["api"].read_text()


def test_bot_image_trains_its_model_at_build_time():
    text = DOCKERFILES["bot"].read_text()
    train = re.search(r"^FROM \S+ AS (\S+)\n(?:(?!^FROM ).*\n)*?RUN rasa train (.*)$", text, re.MULTILINE)
    assert train, "a build stage runs rasa train"
    stage, arguments = train.groups()
    assert "--config config.yml --domain bot/domain --data bot/data" in arguments
    assert "--fixed-model-name navigator" in arguments
    final_stage = re.split(r"^FROM ", text, flags=re.MULTILINE)[-1]
    assert re.search(rf"^COPY --from={stage} \S+navigator\.tar\.gz models/navigator\.tar\.gz$", final_stage, re.M)
    assert "rasa run --model models/navigator.tar.gz" in final_stage
    assert "--credentials bot/credentials.yml" in final_stage and "--interface 0.0.0.0" in final_stage


def test_actions_image_has_what_the_actions_import():
    text = DOCKERFILES["actions"].read_text()
    for path in ("actions/", "knowledge/", "bot/__init__.py", "bot/components/", "bot/channels/"):
        assert re.search(rf"^COPY {re.escape(path)} ", text, re.MULTILINE), path
    assert 'CMD ["python", "-m", "rasa_sdk", "--actions", "actions", "--port", "5055"]' in text


def test_dockerignore_keeps_secrets_and_state_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".env", "var/", "models/", ".git", ".venv", ".rasa/"} <= ignored
    assert any(line.startswith(".env.") or line == ".env.*" for line in ignored)


# --- scale-out --------------------------------------------------------------------------------------------------


def test_scale_override_moves_the_bot_port_to_a_balancer(compose):
    scale = load(SCALE)
    assert scale["services"]["bot"] == {"ports": None}, "bot ports reset: replicas cannot share 127.0.0.1:5005"
    lb = scale["services"]["bot-lb"]
    assert image_problems(lb["image"]) == []
    assert port_problems({"bot": lb}) == [] and lb["ports"] == ["127.0.0.1:5005:5005"]
    assert health_problems({**compose["services"], "bot-lb": lb}) == []
    assert interpolation_problems(SCALE.read_text()) == []
    conf_mount = next(v for v in lb["volumes"] if "nginx.conf" in v)
    conf = (ROOT / conf_mount.split(":")[0]).read_text()
    assert "resolver 127.0.0.11" in conf and "http://bot:5005" in conf and "access_log off" in conf


# --- the checks find what they look for -------------------------------------------------------------------------


def test_checks_catch_a_broken_stack(compose):
    services = copy.deepcopy(compose["services"])
    services["api"]["environment"]["NAVIGATOR_SERVICE_TOKEN"] = "${NAVIGATOR_SERVICE_TOKEN:-}"
    services["bot"]["environment"]["NAVIGATOR_CONTACT_PRIVATE_KEY"] = "${NAVIGATOR_CONTACT_PRIVATE_KEY:?x}"
    services["redis"]["ports"] = ["6379:6379"]
    services["api"]["ports"] = ["8000:8000"]
    services["qdrant"].pop("healthcheck")
    services["bot"]["depends_on"]["actions"] = {"condition": "service_started"}
    services["bot"]["container_name"] = "bot"
    services["actions"]["env_file"] = [".env"]

    assert interpolation_problems(yaml.safe_dump(services, width=10**6)) == [
        "${NAVIGATOR_SERVICE_TOKEN:-}: a secret must be written ${NAVIGATOR_SERVICE_TOKEN:?message}"
    ]
    assert interpolation_problems("password: $REDIS_PASSWORD") != []
    assert interpolation_problems("x: ${QDRANT_API_KEY:?}") != []
    assert "NAVIGATOR_CONTACT_PRIVATE_KEY leaks to ['bot']" in secret_distribution_problems(services)
    assert any("env_file" in p for p in secret_distribution_problems(services))
    assert len(port_problems(services)) == 3  # redis publishes at all, redis and api not on 127.0.0.1
    problems = health_problems(services)
    assert "qdrant: no health check" in problems
    assert "bot -> actions: condition must be service_healthy" in problems
    assert "api -> qdrant: qdrant has no health check to wait for" in problems
    assert "bot: container_name prevents --scale" in problems


def test_checks_catch_unpinned_images_and_installs():
    assert image_problems("qdrant/qdrant:latest") != []
    assert image_problems("postgres:15") != []
    assert image_problems("postgres:15-bookworm") != []
    assert image_problems("postgres:15.20-bookworm") == []
    assert image_problems("redis") != []
    assert image_problems("localhost:5000/redis") != []
    assert image_problems("python:3.11.7-slim-bookworm") == []
    unpinned_base = "FROM python:3.11-slim AS deps\nFROM deps AS train\n"
    assert from_problems(unpinned_base) == ["python:3.11-slim: pin an exact version tag (x.y.z), not 3.11-slim"]
    assert pip_problems("RUN pip install rasa") == ["unpinned: pip install rasa"]
    assert pip_problems("RUN pip install -r requirements/bot.in \\\n && pip install gunicorn") == [
        "unpinned: pip install -r requirements/bot.in",
        "unpinned: pip install gunicorn",
    ]
    assert pip_problems("RUN pip install --extra-index-url https://x -r a.in -c b.lock") != []
    assert pip_problems("RUN pip install -r a.in -c requirements/bot.lock && pip check") == []
