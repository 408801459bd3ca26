"""Start Navigator's processes as `make run` does (honcho + Procfile) on free ports, for e2e tests and bench/bot.py."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import httpx

from tests.local_server import LocalServer

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "navigator.tar.gz"
PREBUILT_INDEX = ROOT / "var" / "qdrant"


def seeded_index(path: Path) -> Path:
    """A copy of the index `make index` built (var/qdrant) at path, so a test's api starts without embedding the
    whole catalog again (a minute on 2 busy cores); the api still rebuilds it if the catalog or the model changed."""
    if PREBUILT_INDEX.is_dir() and not (path.exists() and any(path.iterdir())):
        shutil.copytree(PREBUILT_INDEX, path, ignore=shutil.ignore_patterns(".lock"), dirs_exist_ok=True)
    return path


def free_ports(count: int, *, avoid: Iterable[int] = ()) -> list[int]:
    """Distinct ports nothing listens on, none of `avoid`. Each socket stays bound until all are chosen: picked one at
    a time, the kernel may hand back a port just released, and a Stack's api and bot once got the same one (the bot,
    still loading its model, then seemed up: the api answered for it)."""
    taken = set(avoid)
    ports: list[int] = []
    with contextlib.ExitStack() as held:
        while len(ports) < count:
            s = held.enter_context(socket.socket())
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
            if port not in taken:
                taken.add(port)
                ports.append(port)
    return ports


def free_port(*, avoid: Iterable[int] = ()) -> int:
    return free_ports(1, avoid=avoid)[0]


class StackFailed(RuntimeError):
    pass


def wait_until_up(url: str, proc: subprocess.Popen[bytes], deadline_s: float, log: Path | None = None) -> None:
    """Poll url until it answers 200; fail early if the process died."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    tail = log.read_text()[-4000:] if log and log.exists() else ""
    raise StackFailed(f"{url} did not come up:\n{tail}")


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str, every_s: float = 0.1) -> None:
    """Poll condition until it holds; fail the test naming what never happened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every_s)
    raise AssertionError(f"timed out waiting for {what}")


def api_env(tmp_path: Path, database: str, service_token: str) -> dict[str, str]:
    """What an ApiProcess of a test needs: its database and index folder, the action server's token, fresh keys."""
    from api.core.contact_box import new_key

    return {
        "NAVIGATOR_DATABASE_URL": database,
        "NAVIGATOR_QDRANT_PATH": str(tmp_path / "qdrant"),
        "NAVIGATOR_SERVICE_TOKEN": service_token,
        "NAVIGATOR_REFERRAL_CONTACT_KEY": new_key(),
        "NAVIGATOR_AUTH_SECRET": secrets.token_urlsafe(32),
        "NAVIGATOR_API_LOG_LEVEL": "warning",
    }


class ApiProcess:
    """`python -m api` (in .venv) on a free port: `with ApiProcess(env_overrides) as api: api.url`."""

    def __init__(self, env: dict[str, str], log: Path | None = None, startup_s: float = 300) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **env, "NAVIGATOR_API_PORT": str(self.port)}
        self.log = log
        self.startup_s = startup_s
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ApiProcess:
        # Its own database unless the test gives one: never the developer's var/navigator.db.
        self._db_dir = tempfile.TemporaryDirectory(prefix="navigator-api-")
        self.env.setdefault("NAVIGATOR_DATABASE_URL", f"sqlite:///{self._db_dir.name}/navigator.db")
        self.env.setdefault("NAVIGATOR_QDRANT_PATH", f"{self._db_dir.name}/qdrant")
        seeded_index(Path(self.env["NAVIGATOR_QDRANT_PATH"]))
        out = self.log.open("w") if self.log else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "-m", "api"],
            cwd=ROOT,
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(f"{self.url}/healthz", self.proc, self.startup_s, self.log)
        except StackFailed:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
        self._db_dir.cleanup()


class Stack:
    """api, actions and bot under honcho; `with Stack(tmp) as stack:` waits until all three answer."""

    def __init__(self, workdir: Path, startup_s: float = 300, overrides: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.startup_s = startup_s
        self.overrides = overrides or {}
        self.ports = dict(zip(("api", "bot", "actions"), free_ports(3), strict=True))
        self.log = workdir / f"run-{self.ports['bot']}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        from api.core.contact_box import new_key

        # What `make run` generates into var/dev-secrets.env: referrals and staff sign-in work in every stack.
        self.secrets = {
            "NAVIGATOR_SERVICE_TOKEN": secrets.token_urlsafe(24),
            "NAVIGATOR_REFERRAL_CONTACT_KEY": new_key(),
            "NAVIGATOR_AUTH_SECRET": secrets.token_urlsafe(32),
        }

    @property
    def bot_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['bot']}"

    def env(self) -> dict[str, str]:
        p = self.ports
        return {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "NAVIGATOR_API_PORT": str(p["api"]),
            "NAVIGATOR_BOT_PORT": str(p["bot"]),
            "NAVIGATOR_ACTIONS_PORT": str(p["actions"]),
            "NAVIGATOR_API_URL": f"http://127.0.0.1:{p['api']}",
            "NAVIGATOR_ACTIONS_URL": f"http://127.0.0.1:{p['actions']}/webhook",
            "NAVIGATOR_TRACKER_DB": str(self.workdir / "tracker.db"),
            "NAVIGATOR_QDRANT_PATH": str(self.workdir / "qdrant"),
            "NAVIGATOR_SMS_STATE_URL": f"sqlite:///{self.workdir / 'sms-state.db'}",
            "NAVIGATOR_DATABASE_URL": f"sqlite:///{self.workdir / 'navigator.db'}",
            "NAVIGATOR_REFERRAL_OUTBOX": str(self.workdir / "referral-outbox.db"),
            "NAVIGATOR_CHECKIN_HEARTBEAT": str(self.workdir / "checkins.heartbeat"),
            "NAVIGATOR_OPEN311_HEARTBEAT": str(self.workdir / "hazard-filing.heartbeat"),
            "NAVIGATOR_EVENT_IMPORT_HEARTBEAT": str(self.workdir / "event-import.heartbeat"),
            "NAVIGATOR_API_LOG_LEVEL": "warning",
            **self.secrets,
            **self.overrides,
        }

    def __enter__(self) -> Stack:
        if not MODEL.exists():
            raise StackFailed("no trained model: run `make train`")
        seeded_index(self.workdir / "qdrant")
        out = self.log.open("w")
        self.proc = subprocess.Popen(
            # -e: an env file that does not exist, so a developer's .env cannot change what a test runs with.
            [str(ROOT / ".venv" / "bin" / "honcho"), "start", "-f", "Procfile", "-e", str(self.workdir / "none.env")],
            cwd=ROOT,
            env=self.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            for url in (
                f"http://127.0.0.1:{self.ports['api']}/healthz",
                f"http://127.0.0.1:{self.ports['actions']}/health",
                f"{self.bot_url}/",
            ):
                wait_until_up(url, self.proc, self.startup_s, self.log)
        except StackFailed:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl-C does to `make run`
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc = None


NEUTRAL_PAGE = '<!doctype html><html lang=en><link rel=icon href="data:,"><title>{}</title><h1>{}</h1></html>'
NEUTRAL_PAGES = {
    "/start.html": NEUTRAL_PAGE.format("Start", "Somewhere before the chat"),
    "/weather.html": NEUTRAL_PAGE.format("Weather", "Chicago weather: sunny"),
}


class NeutralSite:
    """A tiny local web server: the page a resident was on before, and the neutral page Quick exit goes to."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = NEUTRAL_PAGES.get(self.path.split("?")[0])
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            # The browser may move on (Quick exit, Back) before reading: nothing to do then.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write((body or "not found").encode())

        def log_message(self, *args: object) -> None:  # quiet
            pass

    def __enter__(self) -> NeutralSite:
        self._server = LocalServer(self.Handler).__enter__()
        self.url = self._server.url
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.__exit__(*exc)


@dataclass(frozen=True)
class Running:
    """One stack shared by the e2e, SMS and browser tests (a start costs a minute or more on 2 cores)."""

    stack: Stack
    neutral_url: str

    @property
    def workdir(self) -> Path:
        return self.stack.workdir

    @property
    def bot_url(self) -> str:
        return self.stack.bot_url

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.stack.ports['api']}"

    @property
    def log(self) -> Path:
        return self.stack.log

    @property
    def env(self) -> dict[str, str]:
        return self.stack.env()


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"


def scaled_env(tracker_db: str, redis_db: int) -> dict[str, str]:
    """Overrides that make a Stack's bot a replica (bot/endpoints-scaled.yml): conversations in the PostgreSQL
    database tracker_db on 127.0.0.1, per-conversation locks in Redis database redis_db, SMS state shared too."""
    return {
        "NAVIGATOR_BOT_ENDPOINTS": "bot/endpoints-scaled.yml",
        "NAVIGATOR_TRACKER_DB_HOST": "127.0.0.1",
        "NAVIGATOR_TRACKER_DB_PORT": "5432",
        "NAVIGATOR_TRACKER_DB_NAME": tracker_db,
        "NAVIGATOR_TRACKER_DB_USER": "postgres",
        "NAVIGATOR_TRACKER_DB_PASSWORD": "",
        "NAVIGATOR_REDIS_HOST": "127.0.0.1",
        "NAVIGATOR_REDIS_PORT": "6379",
        "NAVIGATOR_REDIS_PASSWORD": "",
        "NAVIGATOR_REDIS_DB": str(redis_db),
        # Handled MessageSids and opt-outs shared too, so a Twilio retry landing on another replica is not redone.
        "NAVIGATOR_SMS_STATE_URL": f"postgresql://postgres@127.0.0.1:5432/{tracker_db}",
    }


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def scaled_services_up() -> bool:
    """PostgreSQL on 5432 and Redis on 6379, which the scaled stack needs."""
    return listening(5432) and listening(6379)


class Replicas:
    """Bot replicas' base URLs, as a load balancer would spread residents over them."""

    def __init__(self, urls: list[str], stack: Stack) -> None:
        self.urls = urls
        self.stack = stack

    def say(self, replica: int, sender: str, text: str) -> str:
        response = httpx.post(
            f"{self.urls[replica]}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=90
        )
        assert response.status_code == 200
        return "\n".join(m.get("text", "") for m in response.json() if m.get("text"))


def tracker_events(tracker_db: str, sender: str) -> list[dict]:
    """A conversation's events as the replicas stored them in the PostgreSQL database tracker_db."""
    import psycopg

    with psycopg.connect(f"{POSTGRES_ADMIN.rsplit('/', 1)[0]}/{tracker_db}") as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,)).fetchall()
    return [json.loads(data) for (data,) in rows]


@contextlib.contextmanager
def scratch_database() -> Iterator[str]:
    """A new database on the PostgreSQL at 127.0.0.1:5432, dropped afterwards."""
    import psycopg

    name = f"nav_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield name
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


@contextlib.contextmanager
def extra_bot(stack: Stack, startup_s: float = 300) -> Iterator[str]:
    """Another bot process beside a scaled Stack's, on its own port, with the same environment: its base URL."""
    port = free_port(avoid=stack.ports.values())
    log = stack.workdir / f"bot-{port}.log"
    command = [
        str(ROOT / ".venv-bot" / "bin" / "rasa"), "run", "--model", str(MODEL),
        "--endpoints", "bot/endpoints-scaled.yml", "--credentials", "bot/credentials.yml",
        "--port", str(port), "--interface", "127.0.0.1",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**stack.env(), "NAVIGATOR_BOT_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/", proc, startup_s, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=60)
