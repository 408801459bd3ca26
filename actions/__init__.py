"""Custom actions for the Navigator bot (rasa-sdk). `python -m rasa_sdk --actions actions` loads every module here."""

from actions import crisis, search  # noqa: F401  (registers the actions)
