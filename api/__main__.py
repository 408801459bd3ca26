"""`python -m api`: serve the api with the host, port and workers from settings."""

from __future__ import annotations

import logging

import uvicorn

from api.core.settings import ApiSettings, DatabaseSettings
from api.db.migrate import upgrade


def main() -> None:
    settings = ApiSettings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    database = DatabaseSettings()
    if database.migrate_on_start:
        # Once, here, before uvicorn starts its workers: concurrent migrations would race.
        upgrade(database.database_url)
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
