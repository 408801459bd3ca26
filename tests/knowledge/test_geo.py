import pytest

from knowledge.geo import UnknownPlace, area_by_name, grid_point, haversine_km, resolve


@pytest.mark.parametrize(
    ("text", "area"),
    [
        ("Little Village", 30),
        ("little village", 30),
        ("K-Town", 29),
        ("ktown", 29),
        ("Pilsen", 31),
        ("La Villita", 30),
        ("Englewood", 68),
        ("the Loop", 32),
        ("Austin", 25),
    ],
)
def test_neighbourhood_names_and_aliases_resolve_to_their_community_area(text, area):
    place = resolve(text)
    assert place.kind == "community_area"
    assert place.community_area == area


def test_zip_code_resolves_to_its_point_and_main_area():
    place = resolve("60623")
    assert place.kind == "zip"
    assert place.community_area in (29, 30)
    assert haversine_km(place.lat, place.lon, 41.849, -87.718) < 1.5


def test_zip_with_plus_four_and_corrected_centroids():
    assert resolve("60623-1234").label == "60623"
    # The Census point for 60707 lies outside the city; the shipped centroid is the in-city one.
    place = resolve("60707")
    assert haversine_km(place.lat, place.lon, 41.9211, -87.7969) < 0.1


def test_lat_lon_in_chicago_resolves_to_nearest_area():
    place = resolve("41.7797, -87.6434")
    assert place.kind == "point"
    assert place.community_area == 68


@pytest.mark.parametrize("text", ["", "  ", "Springfield", "90210", "40.7,-74.0", "-87.6,41.8", "12345"])
def test_unknown_places_are_refused_with_a_message(text):
    with pytest.raises(UnknownPlace) as err:
        resolve(text)
    assert str(err.value)


def test_official_name_beats_alias():
    # "Old Town" is an alias of two areas; an official name always wins over an alias.
    assert area_by_name("Near North Side").number == 8
    assert area_by_name("Lincoln Park").number == 7


def test_grid_points_match_known_corners():
    # 63rd & Halsted and Kedzie & Madison.
    lat, lon = grid_point(-800, -6300)
    assert haversine_km(lat, lon, 41.7797, -87.6448) < 0.3
    lat, lon = grid_point(-3200, 0)
    assert haversine_km(lat, lon, 41.8810, -87.7056) < 0.3
