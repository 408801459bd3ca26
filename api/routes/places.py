"""GET /api/v1/places?near=...: what a ZIP code, a community area's name or 'lat,lon' is in Chicago.

The action server asks it for the community area a referral records (never the street or the point); residents'
pages may ask it too. Public and capped per client address like the program endpoints; the action server's token is
never capped."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.core.throttle import public_throttle
from api.errors import invalid
from api.schemas.programs import PlaceOut
from knowledge.geo import UnknownPlace, resolve

router = APIRouter(
    prefix="/api/v1/places",
    tags=["places"],
    dependencies=[Depends(public_throttle)],
    responses={
        401: {"description": "A token was sent and it is not the service token."},
        429: {"description": "Too many requests from this address; see Retry-After."},
    },
)


@router.get("")
def find_place(
    near: Annotated[str, Query(min_length=1, max_length=100, description="ZIP code, community area or 'lat,lon'.")],
) -> PlaceOut:
    try:
        place = resolve(near)
    except UnknownPlace as exc:
        raise invalid("near", str(exc), near) from exc
    return PlaceOut.of(place)
