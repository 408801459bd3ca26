"""The end-of-run log sweep (tests/privacy.py) finds a number in every spelling and a resident's text, and does not
cry wolf over what logs legitimately hold."""

from tests.privacy import leaks_in


def test_the_sweep_finds_numbers_and_texts_and_nothing_else(tmp_path):
    (tmp_path / "stack").mkdir()
    for i, spelling in enumerate(["+17735550123", "(312) 555-0143", "312.555.0143", "1-312-555-0143", "3125550187"]):
        (tmp_path / "stack" / f"leak{i}.log").write_text(f'{{"level": "info", "msg": "to {spelling} ok"}}\n')
    (tmp_path / "bot.log").write_text("INFO user said: I need a WINTER COAT please\n")
    clean = (
        '{"method": "GET", "path": "/api/v1/referrals/{code}", "status": 200, "request_id": "5f1e5550123a4b"}\n'
        "Call 312-746-5400 or 311; sender sms-0a1b2c3d4e; MessageSid SM9f3c; 2026-11-26 04:15:55,123 took 0.555 s\n"
    )
    (tmp_path / "api.log").write_text(clean)
    (tmp_path / "notes.txt").write_text("+17735550123")  # not a log
    leaks = leaks_in(tmp_path)
    assert sorted(leak.split(":")[0].rsplit("/", 1)[-1] for leak in leaks) == [
        "bot.log", "leak0.log", "leak1.log", "leak2.log", "leak3.log", "leak4.log",
    ]  # fmt: skip
    assert all("5550" not in leak for leak in leaks)  # the report itself shows only the last four digits
    for log in tmp_path.rglob("*.log"):  # planted here: not for the end-of-run sweep to find
        log.unlink()
