"""Every setting an operator can change is documented in .env.example."""

import re

from api.core.settings import (
    ApiSettings,
    AuthSettings,
    CatalogSettings,
    ChatSettings,
    CheckinSettings,
    DatabaseSettings,
    EventFeedSettings,
    Open311Settings,
    RetentionSettings,
    SecuritySettings,
)
from knowledge.settings import SearchSettings
from tests.conftest import ROOT


def test_env_example_documents_every_setting():
    documented = set(re.findall(r"^([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), flags=re.MULTILINE))
    expected = set()
    every = (
        SearchSettings,
        ApiSettings,
        SecuritySettings,
        ChatSettings,
        DatabaseSettings,
        AuthSettings,
        RetentionSettings,
        CatalogSettings,
        CheckinSettings,
        Open311Settings,
        EventFeedSettings,
    )
    for settings in every:
        prefix = settings.model_config["env_prefix"]
        # A field with its own variable name (TWILIO_AUTH_TOKEN, shared with the bot) is read by that name.
        expected |= {
            str(field.validation_alias or f"{prefix}{name}").upper() for name, field in settings.model_fields.items()
        }
    # The action server's settings are pydantic 1 (it runs in .venv-bot): read their field names from the source.
    for module in ("settings.py", "metrics.py"):
        source = (ROOT / "actions" / module).read_text()
        expected |= {f"NAVIGATOR_{name.upper()}" for name in re.findall(r"^    (\w+): .* = Field\(", source, re.M)}
    # The SMS channel's settings (pydantic 1, in Rasa) name their variables with env="...".
    source = (ROOT / "bot" / "channels" / "settings.py").read_text()
    channel = set(re.findall(r'env="([A-Z0-9_]+)"', source))
    assert {"TWILIO_AUTH_TOKEN", "NAVIGATOR_SENDER_ID_KEY"} <= channel
    expected |= channel
    assert len(expected) > 20
    assert expected <= documented, sorted(expected - documented)
