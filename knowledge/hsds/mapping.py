"""How the catalog maps onto HSDS: the tables we exchange, our taxonomies and the codes both directions share.

HSDS text fields hold one language and HSDS has no property for several of ours (the short name's Spanish, the SMS
summary, the confidential flag, how a point was geocoded, ...). English goes in the standard fields; everything else
travels as HSDS ``attributes`` whose taxonomy terms come from our own "Chicago Navigator catalog fields" taxonomy, the
place HSDS's field guidance gives for "an arbitrary value" on any object. docs/hsds.md has the full mapping.
"""

from __future__ import annotations

import re

# The HSDS tables we write and read, by schema definition name.
TABLES: tuple[str, ...] = (
    "organization",
    "service",
    "location",
    "service_at_location",
    "address",
    "phone",
    "schedule",
    "service_area",
    "language",
    "taxonomy",
    "taxonomy_term",
    "attribute",
)

# (table, column, target table, checked): a checked reference to a missing row is an error; the unchecked ones may
# point at tables a partner's package leaves out, and we never need their rows.
REFERENCES: tuple[tuple[str, str, str, bool], ...] = (
    ("service", "organization_id", "organization", True),
    ("location", "organization_id", "organization", False),
    ("service_at_location", "service_id", "service", True),
    ("service_at_location", "location_id", "location", True),
    ("address", "location_id", "location", True),
    ("phone", "service_id", "service", True),
    ("schedule", "service_id", "service", True),
    ("service_area", "service_id", "service", True),
    ("language", "service_id", "service", True),
    ("taxonomy_term", "taxonomy_id", "taxonomy", False),
    ("attribute", "taxonomy_term_id", "taxonomy_term", True),
)

# Our taxonomies, by the attribute link_type that applies their terms: (name, description).
TAXONOMIES: dict[str, tuple[str, str]] = {
    "service_category": (
        "Chicago Navigator service categories",
        "Service categories of the City of Chicago resource navigator; term codes are the category slugs.",
    ),
    "audience": (
        "Chicago Navigator audiences",
        "Groups a program is meant for; term codes are the audience slugs of the City of Chicago resource navigator.",
    ),
    "catalog_field": (
        "Chicago Navigator catalog fields",
        "Catalog fields HSDS 3.0 has no property for. An attribute with one of these terms carries the field's value "
        "in `value`; `*_es` terms carry the Spanish of the HSDS field they are named after.",
    ),
}

# The catalog_field terms: code -> description (the term's HSDS description, also the documentation).
FIELDS: dict[str, str] = {
    "program_id": "The catalog id of the program (chi-NNN-slug); the service id is a uuid5 of it.",
    "name_es": "Spanish of service.name.",
    "alternate_name_es": "Spanish of service.alternate_name, the short name shown in SMS lists.",
    "summary_en": "One-line English summary shown with the short name in an SMS.",
    "summary_es": "Spanish of the summary.",
    "description_es": "Spanish of the description of the linked service or phone.",
    "eligibility_description_es": "Spanish of service.eligibility_description.",
    "eligibility_residency": "Who may use the service by residence: anyone, chicago, cook_county, illinois or us.",
    "verification_method": "How the record was last verified; service.assured_date says when.",
    "verification_notes": "Doubts staff must clear before relying on a fact of the record.",
    "source": "A public source of the record: its URL, followed by ' (date)' when the source is dated.",
    "phone_kind": "voice_text: a voice line that also takes text messages (phone.type holds a single type).",
    "available_24_7": "true or false: whether the line answers 24/7; absent when unknown.",
    "text_keyword": "The keyword to text to the linked text line (a phone of type text).",
    "confidential": "true: the site's address must never be given out (shelters); public exports omit its details.",
    "geocode": "How the location's coordinates were obtained: address, community_area (area centroid) or zip.",
    "community_area": "Chicago community area number (1-77) of the linked location or service area.",
    "always_open": "true: open 24/7 (the schedule row also says 00:00-23:59 every day).",
    "notes_es": "Spanish of schedule.notes.",
    "service_area_scope": "community, citywide, county, state or national.",
}

SCOPE_NAMES = {
    "citywide": "City of Chicago",
    "county": "Cook County, Illinois",
    "state": "State of Illinois",
    "national": "United States",
}
DAY_CODES = {"mon": "MO", "tue": "TU", "wed": "WE", "thu": "TH", "fri": "FR", "sat": "SA", "sun": "SU"}
ALL_DAYS = ",".join(DAY_CODES.values())
# HSDS language.name is informational; import reads only the code.
LANGUAGE_NAMES = {
    "ar": "Arabic",
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "hi": "Hindi",
    "ht": "Haitian Creole",
    "ko": "Korean",
    "pl": "Polish",
    "pt": "Portuguese",
    "ru": "Russian",
    "so": "Somali",
    "sw": "Swahili",
    "tl": "Tagalog",
    "uk": "Ukrainian",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "zh": "Chinese",
}
PHONE_TYPES = {"voice": "voice", "voice_text": "voice", "tty": "textphone", "fax": "fax"}
KIND_BY_TYPE = {"textphone": "tty", "fax": "fax"}
EXTENSION_RE = re.compile(r"^(?P<number>.+) ext\. (?P<ext>[1-9]\d*)$")
SOURCE_RE = re.compile(r"^(?P<url>\S+) \((?P<date>\d{4}(?:-\d{2}(?:-\d{2})?)?)\)$")
