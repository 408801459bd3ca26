"""Custom actions for the Navigator bot (rasa-sdk). `python -m rasa_sdk --actions actions` loads every module here."""

import logging

from actions import crisis, search  # noqa: F401  (registers the actions)

# httpx logs every request URL at INFO, and a search URL carries what the resident typed.
logging.getLogger("httpx").setLevel(logging.WARNING)
