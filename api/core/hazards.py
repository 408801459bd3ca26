"""What 311 is told of each hazard residents can report (knowledge/hazards.py names them and says what residents read).

Which of the city's Open311 service codes each one files under is configuration (NAVIGATOR_OPEN311_SERVICE_CODES):
`python -m api.hazard_filing services` lists the city's.
"""

from __future__ import annotations

from knowledge.hazards import HAZARD_TYPES

__all__ = ["FOR_311", "HAZARD_TYPES", "description_for_311"]

# The first words of the description 311 gets (English: the city's staff read it).
FOR_311 = {
    "street_light": "Street light out",
    "alley_light": "Alley light out",
    "graffiti": "Graffiti to remove",
    "vacant_lot": "Vacant lot needs attention",
    "abandoned_building": "Vacant or abandoned building, open or entered",
    "other_safety": "Safety concern",
}


def description_for_311(hazard_type: str, code: str) -> str:
    """What the city reads: the hazard and Navigator's reference, never the resident's own words (they may name
    people) nor who reported it."""
    return f"{FOR_311[hazard_type]}. Reported by a resident through Navigator (City of Chicago CSCC) [{code}]."
