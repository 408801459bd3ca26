"""`python -m api`: serve the api with the host, port and workers from settings."""

from __future__ import annotations

import logging
import os
import sys

import uvicorn

from api.core.logging import configure_logging, logging_config
from api.core.metrics import clear_multiprocess_dir
from api.core.settings import (
    ApiSettings,
    AuthSettings,
    CatalogSettings,
    ChatSettings,
    CheckinSettings,
    DatabaseSettings,
    Open311Settings,
    SecuritySettings,
    SettingsProblem,
    load_settings,
)
from api.crud.staff import StaffError, ensure_first_admin
from api.db.migrate import upgrade
from api.db.session import make_engine, make_sessionmaker


def first_admin(database: DatabaseSettings, auth: AuthSettings) -> None:
    """NAVIGATOR_FIRST_ADMIN_EMAIL / _PASSWORD: the admin a new deployment starts with, created once."""
    if not (auth.first_admin_email and auth.first_admin_password.get_secret_value()):
        return
    engine = make_engine(database.database_url)
    try:
        with make_sessionmaker(engine)() as session:
            if ensure_first_admin(
                session, email=auth.first_admin_email, password=auth.first_admin_password.get_secret_value()
            ):
                logging.getLogger("navigator.api").info("first admin account created")
    except StaffError as exc:
        logging.getLogger("navigator.api").error("first admin not created: %s", exc)
    finally:
        engine.dispose()


def main() -> None:
    try:
        # Every setting the api reads, read once here: a wrong one stops the start with one line naming it.
        load_settings(ApiSettings, DatabaseSettings, AuthSettings, ChatSettings, SecuritySettings, CatalogSettings,
                      CheckinSettings, Open311Settings)  # fmt: skip
    except SettingsProblem as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    settings = ApiSettings()
    # JSON lines (NAVIGATOR_API_LOG_FORMAT=json, the default) or text, for this process and every uvicorn worker.
    configure_logging(settings.log_format, settings.log_level)
    if settings.log_format == "json":
        # The model loader's progress bars write straight to stderr: not JSON, and nothing a log pipeline needs.
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    # PROMETHEUS_MULTIPROC_DIR (several workers): start from an empty folder, before any worker counts.
    clear_multiprocess_dir()
    database = DatabaseSettings()
    if database.migrate_on_start:
        # Once, here, before uvicorn starts its workers: concurrent migrations would race.
        upgrade(database.database_url)
    first_admin(database, AuthSettings())
    # Uvicorn's access log prints query strings, which hold what residents typed; ours logs route templates only.
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        log_level=settings.log_level,
        log_config=logging_config(settings.log_format, settings.log_level),
    )


if __name__ == "__main__":
    main()
