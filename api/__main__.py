"""`python -m api`: serve the api with the host, port and workers from settings."""

from __future__ import annotations

import logging

import uvicorn

from api.core.settings import ApiSettings, AuthSettings, DatabaseSettings
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
    settings = ApiSettings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    database = DatabaseSettings()
    if database.migrate_on_start:
        # Once, here, before uvicorn starts its workers: concurrent migrations would race.
        upgrade(database.database_url)
    first_admin(database, AuthSettings())
    # Uvicorn's access log prints query strings, which hold what residents typed; ours logs paths only.
    uvicorn.run(
        "api.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        access_log=False,
        log_level=settings.log_level,
    )


if __name__ == "__main__":
    main()
