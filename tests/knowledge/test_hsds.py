"""HSDS 3.0 exchange: the whole catalog survives a round trip, the export is valid HSDS, public exports keep shelters
hidden, and bad packages fail with one line that says where."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import jsonschema_rs
import pytest

from knowledge import hsds
from knowledge.catalog import load_programs
from knowledge.hsds import HSDSImportError, export_package, import_package, validate_package
from knowledge.schema import Location, Program
from knowledge.validate import validate_catalog
from tests.conftest import ROOT

SCHEMA_FILE = ROOT / "knowledge" / "data" / "hsds" / "service_with_definitions.json"


@pytest.fixture(scope="module")
def programs() -> list[Program]:
    return load_programs()


@pytest.fixture(scope="module")
def full_dir(programs, tmp_path_factory) -> Path:
    return export_package(programs, tmp_path_factory.mktemp("hsds-full"), public=False)


@pytest.fixture(scope="module")
def public_dir(programs, tmp_path_factory) -> Path:
    return export_package(programs, tmp_path_factory.mktemp("hsds-public"))


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def edit_csv(path: Path, change: Callable[[list[list[str]]], None]) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    change(rows)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")


def edit_json(path: Path, change: Callable[[list[dict]], None]) -> None:
    items = json.loads(path.read_text(encoding="utf-8"))
    change(items)
    path.write_text(json.dumps(items), encoding="utf-8")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "knowledge", *args], capture_output=True, text=True, cwd=ROOT)


def all_text(folder: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.iterdir()))


# --- round trip ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["csv", "json"])
def test_the_whole_catalog_round_trips_field_by_field(programs, full_dir, form):
    back = import_package(full_dir, form=form)

    assert len(programs) >= 120
    assert [p.id for p in back] == [p.id for p in programs]
    for original, imported in zip(programs, back, strict=True):
        for name in Program.model_fields:
            assert getattr(imported, name) == getattr(original, name), f"{original.id}: {name} differs ({form})"
    assert back == programs


def test_the_round_trip_covers_every_kind_of_field(programs):
    # A round trip of records that never use a field proves nothing about that field.
    phones = [ph for p in programs for ph in p.phones]
    locations = [loc for p in programs for loc in p.locations]
    assert {ph.kind for ph in phones} >= {"voice", "voice_text", "tty"}
    assert {ph.available_24_7 for ph in phones} == {True, False, None}
    assert any(" ext. " in ph.number for ph in phones)
    assert any(p.text_line and p.text_line.keyword for p in programs)
    assert any(loc.confidential for loc in locations)
    assert any(loc.address and loc.address.zip is None for loc in locations)
    assert {loc.geocode for loc in locations} >= {"address", "community_area"}
    assert any(p.schedule and p.schedule.always_open for p in programs)
    assert any(p.schedule and len(p.schedule.weekly) > 1 for p in programs)
    assert any(p.service_area.scope == "community" and len(p.service_area.community_areas) > 1 for p in programs)
    assert any(s.date for p in programs for s in p.sources)
    assert any(p.eligibility.age_min is not None and p.eligibility.residency for p in programs)


# --- the package is valid HSDS --------------------------------------------------------------------------------------


def test_the_export_validates_against_the_vendored_hsds_schema(full_dir, public_dir):
    for folder in (full_dir, public_dir):
        assert validate_package(folder, "csv") == []
        assert validate_package(folder, "json") == []

    # Independently of knowledge.hsds: every nested service against the vendored compiled schema, formats included.
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")), validate_formats=True)
    services = json.loads((full_dir / "services.json").read_text(encoding="utf-8"))
    assert len(services) >= 120
    problems = [f"{s['id']}: {e.message}" for s in services for e in validator.iter_errors(s)]
    assert problems == []
    # ... and the validator is live: the same service with a broken id is rejected.
    assert not validator.is_valid({**services[0], "id": "chi-001"})


def test_the_export_uses_only_hsds_3_0_properties(full_dir):
    # The vendored schema is HSDS 3.1; an export meant as 3.0 must not use what 3.1 added.
    added_in_31 = {
        ("services", "additional_urls"),
        ("services", "capacities"),
        ("organization", "additional_websites"),
        ("attributes", "label"),
        ("service_at_locations", "service_areas"),
    }
    found: set[tuple[str, str]] = set()

    def walk(node, parent: str) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item, parent)
        elif isinstance(node, dict):
            for key, value in node.items():
                found.add((parent, key))
                walk(value, key)

    walk(json.loads((full_dir / "services.json").read_text(encoding="utf-8")), "services")
    assert {("services", "phones"), ("attributes", "taxonomy_term"), ("location", "addresses")} <= found
    assert found & added_in_31 == set()
    assert "label" not in read_csv(full_dir / "attributes.csv")[0]


def test_datapackage_describes_every_csv_it_lists(full_dir):
    descriptor = json.loads((full_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert descriptor["profile"] == "tabular-data-package"
    assert descriptor["hsds"] == {"version": "3.0", "export": "full", "json": "services.json"}
    paths = {r["path"] for r in descriptor["resources"]}
    assert paths == {p.name for p in full_dir.glob("*.csv")}
    assert {"services.csv", "organizations.csv", "locations.csv", "service_at_location.csv", "phones.csv"} <= paths
    for resource in descriptor["resources"]:
        header = next(csv.reader(io.StringIO((full_dir / resource["path"]).read_text(encoding="utf-8"))))
        assert header == [f["name"] for f in resource["schema"]["fields"]], resource["path"]


def test_spanish_and_catalog_fields_travel_as_attributes_of_our_taxonomy(programs, full_dir):
    program = programs[0]
    service = next(
        r for r in read_csv(full_dir / "services.csv") if r["id"] == str(uuid.uuid5(hsds.NAMESPACE, program.id))
    )
    assert service["name"] == program.name.en
    assert service["alternate_name"] == program.short_name.en
    terms = {r["id"]: r for r in read_csv(full_dir / "taxonomy_terms.csv")}
    attributes = {
        terms[a["taxonomy_term_id"]]["code"]: a["value"]
        for a in read_csv(full_dir / "attributes.csv")
        if a["link_id"] == service["id"]
    }
    assert attributes["program_id"] == program.id
    assert attributes["name_es"] == program.name.es
    assert attributes["summary_es"] == program.summary.es
    assert attributes["verification_method"] == program.verification.method
    assert {terms[t]["taxonomy"] for t in terms} <= {name for name, _ in hsds.TAXONOMIES.values()}


# --- stable output --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("public", [False, True])
def test_a_re_export_is_byte_identical(programs, full_dir, public_dir, tmp_path, public):
    first = public_dir if public else full_dir
    again = export_package(programs, tmp_path / "again", public=public)

    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in first.iterdir())
    for path in sorted(first.iterdir()):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_an_export_from_another_process_is_byte_identical(full_dir, tmp_path):
    # Set and dict order could hang on the per-process string hash seed; a re-export runs in a new process.
    for seed in ("1", "2"):
        out = tmp_path / f"seed{seed}"
        result = subprocess.run(
            [sys.executable, "-m", "knowledge", "hsds-export", str(out), "--full"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )
        assert result.returncode == 0, result.stderr
        for path in sorted(full_dir.iterdir()):
            assert (out / path.name).read_bytes() == path.read_bytes(), (seed, path.name)


def test_two_programs_with_one_id_are_refused_not_merged(programs, tmp_path):
    with pytest.raises(ValueError, match="same catalog id"):
        export_package([programs[0], programs[0]], tmp_path)


def test_ids_are_uuid5_of_the_program_id_so_partners_keep_their_keys(programs, full_dir):
    ids = [r["id"] for r in read_csv(full_dir / "services.csv")]
    assert ids == [str(uuid.uuid5(hsds.NAMESPACE, p.id)) for p in programs]
    every_id = [r["id"] for path in full_dir.glob("*.csv") for r in read_csv(path)]
    assert len(every_id) == len(set(every_id))


# --- confidential locations -----------------------------------------------------------------------------------------


def shelter_program(programs) -> Program:
    shelter = Location(
        name="Safe house on Zelkova Secret Street",
        lat=41.96543,
        lon=-87.65432,
        geocode="community_area",
        community_area=3,
        confidential=True,
    )
    return programs[0].model_copy(update={"locations": [shelter]})


def test_a_public_export_holds_no_name_area_or_coordinates_of_a_confidential_site(programs, tmp_path):
    program = shelter_program(programs)
    public = export_package([program], tmp_path / "public")
    full = export_package([program], tmp_path / "full", public=False)

    # The full export does carry them, so the checks below would see a leak.
    assert "41.96543" in all_text(full) and "Zelkova" in all_text(full)
    text = all_text(public)
    assert "41.96543" not in text and "-87.65432" not in text and "Zelkova" not in text
    (location,) = read_csv(public / "locations.csv")
    assert (location["name"], location["latitude"], location["longitude"]) == ("", "", "")
    assert read_csv(public / "addresses.csv") == []
    terms = {r["id"]: r["code"] for r in read_csv(public / "taxonomy_terms.csv")}
    linked = [
        terms[a["taxonomy_term_id"]] for a in read_csv(public / "attributes.csv") if a["link_id"] == location["id"]
    ]
    assert linked == ["confidential"]
    (back,) = import_package(public)
    assert back.locations == [Location(confidential=True)]


def test_the_catalogs_confidential_sites_are_bare_in_the_public_export(programs, public_dir):
    confidential = [(p, i) for p in programs for i, loc in enumerate(p.locations) if loc.confidential]
    assert confidential
    locations = {r["id"]: r for r in read_csv(public_dir / "locations.csv")}
    located = {r["location_id"] for r in read_csv(public_dir / "addresses.csv")}
    services = json.loads((public_dir / "services.json").read_text(encoding="utf-8"))
    nested = {s["location"]["id"]: s["location"] for svc in services for s in svc.get("service_at_locations", [])}
    for program, i in confidential:
        location_id = str(uuid.uuid5(hsds.NAMESPACE, f"{program.id}/location/{i}"))
        row = locations[location_id]
        assert (row["name"], row["latitude"], row["longitude"]) == ("", "", ""), program.id
        assert location_id not in located
        assert set(nested[location_id]) <= {"id", "location_type", "organization_id", "attributes"}, program.id


def test_importing_a_public_export_gives_back_everything_but_confidential_details(programs, public_dir):
    back = {p.id: p for p in import_package(public_dir)}
    for program in programs:
        if program.is_confidential:
            bare = [Location(confidential=True) if loc.confidential else loc for loc in program.locations]
            assert back[program.id] == program.model_copy(update={"locations": bare})
        else:
            assert back[program.id] == program


# --- bad packages ---------------------------------------------------------------------------------------------------


def drop_column(name: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        j = rows[0].index(name)
        for row in rows:
            del row[j]

    return change


def set_cell(row: int, name: str, value: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row - 1][rows[0].index(name)] = value

    return change


def set_json(change_item: Callable[[dict], None]) -> Callable[[list[dict]], None]:
    return lambda items: change_item(items[0])


def drop_spanish_name(rows: list[list[str]]) -> None:
    # The first attribute of the first service is its program_id, the second its name_es.
    del rows[2]


BROKEN = {
    "missing column": ("phones.csv", drop_column("number"), "phones.csv row 1: number: missing column"),
    "bad phone": ("phones.csv", set_cell(2, "number", "12345"), "phones.csv row 2: number: bad phone '12345'"),
    "unknown service id": (
        "phones.csv",
        set_cell(2, "service_id", "00000000-0000-4000-8000-000000000000"),
        "phones.csv row 2: service_id: no service with id 00000000-0000-4000-8000-000000000000 in services.csv",
    ),
    "not a number": ("phones.csv", set_cell(2, "extension", "twelve"), "phones.csv row 2: extension: 'twelve' is not"),
    "not a uuid": ("services.csv", set_cell(3, "id", "chi-002"), 'services.csv row 3: id: "chi-002" is not a "uuid"'),
    "no Spanish": ("attributes.csv", drop_spanish_name, "services.csv row 2: attribute name_es: missing Spanish text"),
    "json schema": (
        "services.json",
        set_json(lambda s: s.update(status="open")),
        'services.json item 1: status: "open" is not one of',
    ),
    "json bad phone": (
        "services.json",
        set_json(lambda s: s["phones"][0].update(number="555")),
        "services.json item 1 phones[0]: number: bad phone '555'",
    ),
    "json link to no location": (
        "services.json",
        set_json(lambda s: s.update(service_at_locations=[{"id": str(uuid.uuid4())}])),
        "services.json item 1 service_at_locations[0]: location_id: required, missing",
    ),
    "json duplicate phone id": (
        "services.json",
        set_json(lambda s: s["phones"].append(dict(s["phones"][0]))),
        "services.json item 1 phones[2]: id: duplicate id",
    ),
    "json unknown location": (
        "services.json",
        set_json(
            lambda s: s.update(service_at_locations=[{"id": str(uuid.uuid4()), "location_id": str(uuid.uuid4())}])
        ),
        "services.json item 1 service_at_locations[0]: location_id: no location with id",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_package_fails_with_one_line_naming_file_row_and_field(full_dir, tmp_path, case):
    file, change, expected = BROKEN[case]
    broken = shutil.copytree(full_dir, tmp_path / "broken")
    if file.endswith(".json"):
        edit_json(broken / file, change)
    else:
        edit_csv(broken / file, change)

    with pytest.raises(HSDSImportError) as caught:
        import_package(broken, form="json" if file.endswith(".json") else "csv")

    message = str(caught.value)
    assert message.startswith(expected)
    assert "\n" not in message


def test_an_unusable_folder_fails_with_one_line(tmp_path):
    for folder, expected in (
        (tmp_path / "missing", "not a folder"),
        (tmp_path, "no datapackage.json or services.json"),
    ):
        with pytest.raises(HSDSImportError, match=expected):
            import_package(folder)
    (tmp_path / "services.json").write_text("[{", encoding="utf-8")
    with pytest.raises(HSDSImportError, match=r"^services\.json: not valid JSON"):
        import_package(tmp_path)


# --- command line ---------------------------------------------------------------------------------------------------


def test_cli_exports_public_by_default_and_imports_a_full_export_that_validates(programs, tmp_path):
    public = run_cli("hsds-export", str(tmp_path / "public"))
    assert public.returncode == 0, public.stderr
    assert json.loads((tmp_path / "public" / "datapackage.json").read_text())["hsds"]["export"] == "public"

    full = run_cli("hsds-export", str(tmp_path / "full"), "--full")
    assert full.returncode == 0, full.stderr
    imported = run_cli("hsds-import", str(tmp_path / "full"), "--out", str(tmp_path / "back.yml"))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.strip() == f"ok: {len(programs)} programs written to {tmp_path / 'back.yml'}"

    validated = run_cli("validate", str(tmp_path / "back.yml"))
    assert validated.returncode == 0, validated.stdout
    assert validated.stdout.strip() == f"ok: {len(programs)} programs"
    assert validate_catalog(tmp_path / "back.yml").programs == programs


def test_cli_import_of_bad_input_exits_2_with_one_line(full_dir, tmp_path):
    broken = shutil.copytree(full_dir, tmp_path / "broken")
    edit_csv(broken / "phones.csv", set_cell(2, "number", "12345"))

    for folder in (broken, tmp_path / "nowhere"):
        result = run_cli("hsds-import", str(folder), "--out", str(tmp_path / "out.yml"))
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "out.yml").exists()
    assert run_cli("hsds-import", str(broken), "--out", str(tmp_path / "o.yml")).stderr.startswith("phones.csv row 2")
