"""The hazards residents can report, as Navigator names them, with what 311 is told and what residents read.

Which of the city's Open311 service codes each one files under is configuration (NAVIGATOR_OPEN311_SERVICE_CODES):
`python -m api.hazard_filing services` lists the city's.
"""

from __future__ import annotations

HAZARD_TYPES = ("street_light", "alley_light", "graffiti", "vacant_lot", "abandoned_building", "other_safety")

# The first words of the description 311 gets (English: the city's staff read it).
FOR_311 = {
    "street_light": "Street light out",
    "alley_light": "Alley light out",
    "graffiti": "Graffiti to remove",
    "vacant_lot": "Vacant lot needs attention",
    "abandoned_building": "Vacant or abandoned building, open or entered",
    "other_safety": "Safety concern",
}
LABELS = {
    "street_light": {"en": "street light out", "es": "luz de calle apagada"},
    "alley_light": {"en": "alley light out", "es": "luz de callejon apagada"},
    "graffiti": {"en": "graffiti", "es": "grafiti"},
    "vacant_lot": {"en": "vacant lot", "es": "lote baldio"},
    "abandoned_building": {"en": "abandoned building", "es": "edificio abandonado"},
    "other_safety": {"en": "safety concern", "es": "problema de seguridad"},
}


def description_for_311(hazard_type: str, code: str) -> str:
    """What the city reads: the hazard and Navigator's reference, never the resident's own words (they may name
    people) nor who reported it."""
    return f"{FOR_311[hazard_type]}. Reported by a resident through Navigator (City of Chicago CSCC) [{code}]."
