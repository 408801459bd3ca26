"""What the api sends about programs: one language at a time, confidential sites reduced to a flag."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel

from knowledge.catalog import Taxonomy
from knowledge.geo import Place, community_areas
from knowledge.schema import Localized, Program
from knowledge.search import Hit
from knowledge.sms import ContactKind, contact, contact_kind, sms_line

Lang = Literal["en", "es"]


class PhoneOut(BaseModel):
    number: str
    label: str | None
    kind: str
    available_24_7: bool | None


class TextLineOut(BaseModel):
    number: str
    keyword: str | None
    note: str | None


class CommunityAreaOut(BaseModel):
    number: int
    name: str


class LocationOut(BaseModel):
    name: str | None
    address: str | None
    lat: float | None
    lon: float | None
    geocode: str | None
    community_area: CommunityAreaOut | None


class HoursOut(BaseModel):
    days: list[str]
    opens: str
    closes: str


class ScheduleOut(BaseModel):
    always_open: bool
    weekly: list[HoursOut]
    note: str | None


class EligibilityOut(BaseModel):
    age_min: int | None
    age_max: int | None
    residency: str | None
    note: str | None


class CategoryOut(BaseModel):
    slug: str
    label: str


class VerificationOut(BaseModel):
    verified_on: dt.date
    method: str
    notes: str | None


class ProgramOut(BaseModel):
    id: str
    name: str
    short_name: str
    organization: str
    summary: str
    description: str
    sms: str
    # What a numbered list shows to reach the program (first voice number, else text line, else website).
    contact: str
    # Which of phones[0], text_line or website that is, so a screen can link it without parsing the text.
    contact_kind: ContactKind
    categories: list[str]
    category_labels: list[CategoryOut]
    audiences: list[str]
    phones: list[PhoneOut]
    text_line: TextLineOut | None
    website: str | None
    locations: list[LocationOut]
    # True when the program has a site whose address is withheld (shelters): reach it by phone.
    confidential_location: bool
    service_area: str
    service_community_areas: list[int]
    schedule: ScheduleOut | None
    languages: list[str]
    eligibility: EligibilityOut
    sources: list[str]
    # When the program's facts were last checked (verification.verified_on, a Chicago day): what a card shows as
    # "Facts checked: <month year>".
    verified_on: dt.date
    verification: VerificationOut

    @classmethod
    def build(cls, program: Program, lang: Lang, taxonomy: Taxonomy) -> ProgramOut:
        areas = community_areas()

        def text(value: Localized | None) -> str | None:
            return value.get(lang) if value is not None else None

        return cls(
            id=program.id,
            name=program.name.get(lang),
            short_name=program.short_name.get(lang),
            organization=program.organization.name,
            summary=program.summary.get(lang),
            description=program.description.get(lang),
            sms=sms_line(program, lang),
            contact=contact(program, lang),
            contact_kind=contact_kind(program),
            categories=list(program.categories),
            category_labels=[CategoryOut(slug=c, label=taxonomy.label(c, lang)) for c in program.categories],
            audiences=list(program.audiences),
            phones=[
                PhoneOut(number=p.number, label=text(p.label), kind=p.kind, available_24_7=p.available_24_7)
                for p in program.phones
            ],
            text_line=TextLineOut(
                number=program.text_line.number, keyword=program.text_line.keyword, note=text(program.text_line.note)
            )
            if program.text_line
            else None,
            website=str(program.website) if program.website else None,
            # Confidential sites never leave the server, not even their point or area.
            locations=[
                LocationOut(
                    name=loc.name,
                    address=loc.address.one_line() if loc.address else None,
                    lat=loc.lat,
                    lon=loc.lon,
                    geocode=loc.geocode,
                    community_area=CommunityAreaOut(number=loc.community_area, name=areas[loc.community_area].name)
                    if loc.community_area
                    else None,
                )
                for loc in program.locations
                if not loc.confidential
            ],
            confidential_location=program.is_confidential,
            service_area=program.service_area.scope,
            service_community_areas=list(program.service_area.community_areas),
            schedule=ScheduleOut(
                always_open=program.schedule.always_open,
                weekly=[HoursOut(days=list(s.days), opens=s.opens, closes=s.closes) for s in program.schedule.weekly],
                note=text(program.schedule.note),
            )
            if program.schedule
            else None,
            languages=list(program.languages),
            eligibility=EligibilityOut(
                age_min=program.eligibility.age_min,
                age_max=program.eligibility.age_max,
                residency=program.eligibility.residency,
                note=text(program.eligibility.note),
            ),
            sources=[str(s.url) for s in program.sources],
            verified_on=program.verification.verified_on,
            verification=VerificationOut(
                verified_on=program.verification.verified_on,
                method=program.verification.method,
                notes=program.verification.notes,
            ),
        )


class SearchResultOut(ProgramOut):
    score: float
    distance_km: float | None
    # None when the program's hours are unknown.
    open_now: bool | None

    @classmethod
    def from_hit(cls, hit: Hit, lang: Lang, taxonomy: Taxonomy) -> SearchResultOut:
        base = ProgramOut.build(hit.program, lang, taxonomy)
        return cls(**base.model_dump(), score=hit.score, distance_km=hit.distance_km, open_now=hit.open_now)


class PlaceOut(BaseModel):
    label: str
    kind: str
    lat: float
    lon: float
    community_area: int | None
    # The area's name, which is what a referral records (never the street or the point).
    community_area_name: str | None = None

    @classmethod
    def of(cls, place: Place) -> PlaceOut:
        area = community_areas().get(place.community_area) if place.community_area else None
        return cls(
            label=place.label,
            kind=place.kind,
            lat=place.lat,
            lon=place.lon,
            community_area=place.community_area,
            community_area_name=area.name if area else None,
        )


class SearchResponse(BaseModel):
    query: str
    lang: Lang
    near: PlaceOut | None
    category: str | None
    open_now: bool
    results: list[SearchResultOut]
    total: int


class DirectoryResponse(BaseModel):
    results: list[ProgramOut]
    total: int
    limit: int
    offset: int
