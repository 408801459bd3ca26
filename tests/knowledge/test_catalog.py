import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from knowledge.catalog import PROGRAMS_DIR, catalog_files, load_taxonomy, read_raw
from knowledge.validate import validate_catalog
from tests.conftest import ROOT, shared_dir


@pytest.fixture(scope="module")
def report():
    return validate_catalog()


@pytest.fixture
def good_record() -> dict:
    return copy.deepcopy(read_raw(PROGRAMS_DIR / "crisis.yml")[0])


def write(tmp_path: Path, name: str, records: list[dict]) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(records, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems_for(tmp_path: Path, *files: Path) -> list[str]:
    return [str(p) for p in validate_catalog(*files).problems] if files else []


def test_the_shipped_catalog_is_valid_and_large_enough(report):
    assert report.problems == []
    assert len(report.programs) >= 120


def test_every_fact_id_is_kept():
    facts_dir = shared_dir() / "data"
    if not facts_dir.exists():
        pytest.skip("the shared facts folder is not beside this checkout")
    facts = [json.loads((facts_dir / n).read_text()) for n in ("chicago_programs.json", "chicago_programs_more.json")]
    ids = {p["id"] for group in facts for p in group}
    catalog_ids = {r["id"] for f in catalog_files() for r in read_raw(f)}
    assert ids <= catalog_ids


def test_every_program_is_bilingual_and_fits_one_sms(report):
    from knowledge.sms import gsm7_length, sms_line

    for program in report.programs:
        for lang in ("en", "es"):
            assert gsm7_length(sms_line(program, lang)) <= 160, program.id
        assert program.summary.en != program.summary.es, program.id


def test_files_are_split_by_primary_category(report):
    taxonomy = load_taxonomy()
    for path in catalog_files():
        assert path.stem in taxonomy.categories, path.name
        for record in read_raw(path):
            assert record["categories"][0] == path.stem, record["id"]


def test_confidential_sites_carry_no_address(report):
    confidential = [loc for p in report.programs for loc in p.locations if loc.confidential]
    assert confidential, "the catalog has shelters whose addresses are withheld"
    assert all(loc.address is None for loc in confidential)


def test_doubts_from_the_facts_are_kept_for_staff(report):
    facts_dir = shared_dir() / "data"
    if not facts_dir.exists():
        pytest.skip("the shared facts folder is not beside this checkout")
    facts = json.loads((facts_dir / "chicago_programs.json").read_text())
    flagged = {p["id"] for p in facts if p.get("verification_notes")}
    notes = {p.id: p.verification.notes for p in report.programs}
    assert flagged
    assert all(notes.get(pid) for pid in flagged)


def test_validator_reports_each_problem_with_file_record_and_field(tmp_path, good_record):
    dup = copy.deepcopy(good_record)
    unknown_cat = copy.deepcopy(good_record) | {"id": "chi-900-unknown-category", "categories": ["crisis", "astrology"]}
    bad_phone = copy.deepcopy(good_record) | {"id": "chi-901-bad-phone"}
    bad_phone["phones"] = [{"number": "555-1234", "kind": "voice"}]
    bad_coords = copy.deepcopy(good_record) | {"id": "chi-902-bad-coordinates"}
    bad_coords["locations"] = [
        {
            "name": "Office",
            "lat": 41.75,
            "lon": -87.65,
            "geocode": "address",
            "community_area": 1,
            "address": {"street": "1120 W. 79th St."},
        }
    ]
    swapped = copy.deepcopy(good_record) | {"id": "chi-903-swapped"}
    swapped["locations"] = [{"lat": -87.65, "lon": 41.75, "geocode": "address", "community_area": 71}]
    no_spanish = copy.deepcopy(good_record) | {"id": "chi-904-no-spanish"}
    no_spanish["summary"] = {"en": "English only"}
    a = write(tmp_path, "crisis.yml", [good_record, unknown_cat, bad_phone])
    b = write(tmp_path, "food.yml", [dup, bad_coords, swapped, no_spanish])
    problems = problems_for(tmp_path, a, b)
    expected = [
        ("food.yml", good_record["id"], "id", "duplicate id"),
        ("crisis.yml", "chi-900-unknown-category", "categories[1]", "unknown category 'astrology'"),
        ("crisis.yml", "chi-901-bad-phone", "phones[0].number", "bad phone"),
        ("food.yml", "chi-902-bad-coordinates", "locations[0]", "bad coordinates"),
        ("food.yml", "chi-903-swapped", "locations[0]", "outside Illinois"),
        ("food.yml", "chi-904-no-spanish", "summary.es", "missing Spanish text"),
    ]
    for file, record, field, text in expected:
        assert any(p.startswith(f"{file}: {record}: {field}: ") and text in p for p in problems), (record, problems)
    assert len(problems) == len(expected)


def test_confidential_location_with_address_is_rejected(tmp_path, good_record):
    record = copy.deepcopy(good_record) | {"id": "chi-905-shelter"}
    record["locations"] = [{"confidential": True, "address": {"street": "123 N. Secret St."}}]
    problems = problems_for(tmp_path, write(tmp_path, "housing.yml", [record]))
    assert len(problems) == 1 and "confidential location must not carry an address" in problems[0]


def test_too_long_sms_line_is_reported(tmp_path, good_record):
    record = copy.deepcopy(good_record)
    record["summary"] = {"en": "word " * 40, "es": "palabra " * 30}
    problems = problems_for(tmp_path, write(tmp_path, "crisis.yml", [record]))
    assert {p.split(": ")[2] for p in problems} == {"summary.en", "summary.es"}


def test_validate_command_exits_non_zero_on_a_bad_catalog(tmp_path, good_record):
    record = copy.deepcopy(good_record) | {"categories": ["nonsense"]}
    write(tmp_path, "crisis.yml", [record])
    bad = subprocess.run(
        [sys.executable, "-m", "knowledge", "validate", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert bad.returncode == 1
    assert "unknown category 'nonsense'" in bad.stdout
    good = subprocess.run([sys.executable, "-m", "knowledge", "validate"], capture_output=True, text=True, cwd=ROOT)
    assert good.returncode == 0, good.stdout
    assert good.stdout.startswith("ok: ")


def test_broken_yaml_is_reported_not_raised(tmp_path):
    path = tmp_path / "food.yml"
    path.write_text("- id: chi-1\n  name: [unclosed\n", encoding="utf-8")
    problems = problems_for(tmp_path, path)
    assert len(problems) == 1 and problems[0].startswith("food.yml: -: -: ")
