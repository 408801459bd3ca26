"""The hazards residents can report to 311 through Navigator, and what residents read for each: shared by the action
server (which asks) and the api (which files), which run in different environments and images but both carry
knowledge/."""

from __future__ import annotations

HAZARD_TYPES = ("street_light", "alley_light", "graffiti", "vacant_lot", "abandoned_building", "other_safety")
LABELS = {
    "street_light": {"en": "street light out", "es": "luz de calle apagada"},
    "alley_light": {"en": "alley light out", "es": "luz de callejon apagada"},
    "graffiti": {"en": "graffiti", "es": "grafiti"},
    "vacant_lot": {"en": "vacant lot", "es": "lote baldio"},
    "abandoned_building": {"en": "abandoned building", "es": "edificio abandonado"},
    "other_safety": {"en": "safety concern", "es": "problema de seguridad"},
}
