"""The staff console at /staff over the app (TestClient): sign-in and its cookie, CSRF, the pages each role may open,
working a referral through forms, escaping, the audit of contact reads, reports and accounts.

Each "browser" here is its own TestClient over the session's app, with its own cookie jar, so signing in as one role
never leaks into another test, and with the session client's event loop, the app's one loop as in a server.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.crud.referrals import OUTCOMES, TRANSITIONS, audit_entries, get_referral
from api.db.models import ReferralNote
from api.routes.console import COOKIE, OUTCOME_LABELS, STATUSES, safety_flags
from tests.api.factories import PASSWORD, assign, new_referral, new_user, referral_request, sign_in

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def browser(client, https: bool = False) -> TestClient:
    """A browser with a cookie jar of its own, sending its requests on the event loop of the session's `client`, as
    a server runs every request on its one loop. Left to itself, a TestClient runs each request on a new loop in a
    new thread, while the app keeps state bound to the loop its lifespan ran on: the sign-in limiter's asyncio locks
    and its expiry task, which the session client's loop goes on running between requests. A sign-in waiting for a
    lock that task held was woken from the other thread without waking its own loop, and hung the run for good."""
    b = TestClient(client.app, base_url="https://testserver" if https else "http://testserver", follow_redirects=False)
    b.portal = client.portal  # TestClient runs each request on self.portal when it is set
    return b


def csrf_of(page) -> str:
    found = CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def signed_in(client, user, password=PASSWORD) -> TestClient:
    b = browser(client)
    answer = b.post(
        "/staff/login", data={"email": user.email, "password": password, "csrf": csrf_of(b.get("/staff/login"))}
    )
    assert answer.status_code == 303, answer.text
    return b


def body_rows(html: str, section: str = "") -> list[list[str]]:
    """The cells of a table's body (the first table after `section`), as text."""
    body = re.search(r"<tbody>(.*?)</tbody>", html[html.index(section) :] if section else html, re.S).group(1)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def post_form(b: TestClient, page_url: str, action: str, **data):
    """Submit a form as a browser does: with the CSRF token of the page it is on."""
    return b.post(action, data={"csrf": csrf_of(b.get(page_url)), **data})


def test_sign_in_sets_a_strict_http_only_cookie_and_lands_by_role(client, people):
    users, _ = people
    b = browser(client)
    form = b.get("/staff/login")
    assert form.status_code == 200 and 'lang="en"' in form.text and "Skip to main content" in form.text
    assert "form-action 'self'" in form.headers["content-security-policy"]
    assert form.headers["cache-control"] == "no-store" and form.headers["referrer-policy"] == "no-referrer"
    wrong = b.post(
        "/staff/login", data={"email": users["supervisor"].email, "password": "not it at all", "csrf": csrf_of(form)}
    )
    assert wrong.status_code == 401 and "Wrong email or password." in wrong.text and COOKIE not in b.cookies
    good = b.post(
        "/staff/login", data={"email": users["supervisor"].email, "password": PASSWORD, "csrf": csrf_of(wrong)}
    )
    assert good.status_code == 303 and good.headers["location"] == "/staff"
    cookie = next(c for c in good.headers.get_list("set-cookie") if c.startswith(f"{COOKIE}="))
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/staff", "max-age=900"} <= flags and "secure" not in flags
    assert b.get("/staff").status_code == 200
    # Over https the cookie is Secure too.
    s = browser(client, https=True)
    answer = s.post(
        "/staff/login",
        data={"email": users["admin"].email, "password": PASSWORD, "csrf": csrf_of(s.get("/staff/login"))},
    )
    assert answer.headers["location"] == "/staff/accounts"  # an admin's console is the accounts page
    assert "secure" in answer.headers["set-cookie"].lower()


def test_sign_in_is_throttled_together_with_the_api_sign_in(client, db):
    user = new_user(db)
    b = browser(client)
    codes = []
    for i in range(3):
        page = b.get("/staff/login")
        codes.append(
            b.post(
                "/staff/login", data={"email": user.email, "password": f"guess {i:04d}!", "csrf": csrf_of(page)}
            ).status_code
        )
    codes += [sign_in(client, user.email, f"api guess {i}").status_code for i in range(2)]
    last = b.post(
        "/staff/login", data={"email": user.email, "password": PASSWORD, "csrf": csrf_of(b.get("/staff/login"))}
    )
    assert codes == [401] * 5 and last.status_code == 429  # one budget of 5 a minute, even with the right password
    assert "Too many sign-in attempts" in last.text and int(last.headers["retry-after"]) >= 1
    assert sign_in(client, user.email).status_code == 429


def test_a_browser_signs_in_while_the_limiter_holds_the_accounts_lock(client, db):
    """A CI run hung for an hour here: the sign-in limiter's expiry pass, running on the session client's loop, held
    an account's lock (across `await asyncio.to_thread`) as a browser, then on a loop of its own, signed that account
    in; released from the other thread, the browser's waiting loop was never woken. On one loop it simply waits."""
    user = new_user(db)
    assert sign_in(client, user.email).status_code == 200
    storage = client.app.state.login_limiter.storage  # limits' MemoryStorage: a lock per key, here the account's
    [key] = [k for k in storage.events if user.email in k]

    async def hold_the_lock() -> None:
        async with storage.locks[key]:
            await anyio.sleep(0.3)

    b = browser(client)
    form = {"email": user.email, "password": PASSWORD, "csrf": csrf_of(b.get("/staff/login"))}
    answers = []
    client.portal.start_task_soon(hold_the_lock)
    # In a thread, so that a hang fails this test in seconds rather than at the run's timeout.
    sending = threading.Thread(target=lambda: answers.append(b.post("/staff/login", data=form)), daemon=True)
    sending.start()
    sending.join(30)
    assert not sending.is_alive(), "the sign-in is still waiting for a lock released long ago"
    assert answers[0].status_code == 303


def test_sign_in_needs_the_form_from_the_console(client, people):
    users, _ = people
    b = browser(client)
    b.get("/staff/login")
    answer = b.post("/staff/login", data={"email": users["supervisor"].email, "password": PASSWORD})
    assert answer.status_code == 403 and COOKIE not in b.cookies


def test_after_sign_in_the_page_asked_for_opens_and_no_other_site(client, people, db):
    users, headers = people
    code = new_referral(client, headers)
    b = browser(client)
    first = b.get(f"/staff/referrals/{code}")
    assert first.status_code == 303 and first.headers["location"] == f"/staff/login?next=%2Fstaff%2Freferrals%2F{code}"
    page = b.get(first.headers["location"])
    assert f'name="next" value="/staff/referrals/{code}"' in page.text
    answer = b.post(
        "/staff/login",
        data={
            "email": users["supervisor"].email,
            "password": PASSWORD,
            "csrf": csrf_of(page),
            "next": f"/staff/referrals/{code}",
        },
    )
    assert answer.headers["location"] == f"/staff/referrals/{code}"
    for elsewhere in ("//evil.example/staff", "https://evil.example/", "/staffer", "/staff/login"):
        b2, user = browser(client), new_user(db, role="supervisor")  # a fresh account: sign-ins are throttled
        answer = b2.post(
            "/staff/login",
            data={
                "email": user.email,
                "password": PASSWORD,
                "csrf": csrf_of(b2.get("/staff/login")),
                "next": elsewhere,
            },
        )
        assert answer.headers["location"] == "/staff", elsewhere


def test_pages_by_role(client, people):
    users, headers = people
    mine = new_referral(client, headers)
    assign(client, headers, mine, users["outreach"])
    theirs = new_referral(client, headers)
    assign(client, headers, theirs, users["outreach-other"])
    browsers = {"anonymous": browser(client)} | {
        name: signed_in(client, users[name]) for name in ("outreach", "outreach-other", "supervisor", "admin")
    }
    pages = [
        "/staff",
        f"/staff/referrals/{mine}",
        f"/staff/referrals/{theirs}",
        "/staff/reports",
        "/staff/audit",
        "/staff/accounts",
    ]
    expected = {  # anonymous, outreach, outreach-other, supervisor, admin
        "/staff": (303, 200, 200, 200, 303),
        f"/staff/referrals/{mine}": (303, 200, 403, 200, 403),
        f"/staff/referrals/{theirs}": (303, 403, 200, 200, 403),
        "/staff/reports": (303, 200, 200, 200, 200),
        "/staff/audit": (303, 403, 403, 200, 403),
        "/staff/accounts": (303, 403, 403, 403, 200),
    }
    got = {page: tuple(b.get(page).status_code for b in browsers.values()) for page in pages}
    assert got == expected
    assert browsers["anonymous"].get("/staff").headers["location"] == "/staff/login"
    refused = browsers["outreach"].get(f"/staff/referrals/{theirs}")
    assert "This referral is assigned to someone else." in refused.text and refused.headers["content-type"].startswith(
        "text/html"
    )
    assert "+17735550123" not in refused.text
    admin = browsers["admin"].get(f"/staff/referrals/{mine}")
    assert "+17735550123" not in admin.text and "Ana" not in admin.text
    assert browsers["admin"].get("/staff").headers["location"] == "/staff/accounts"
    assert browsers["supervisor"].get("/staff/referrals/CSCC-NOPE00").status_code == 404


def test_a_referral_shows_its_safety_flags_first_and_big(client, people):
    users, headers = people
    code = new_referral(
        client, headers, safe_to_text=True, safe_to_call=False, safe_times="after 6 pm", no_voicemail=True
    )
    page = signed_in(client, users["supervisor"]).get(f"/staff/referrals/{code}").text
    flags = re.findall(r'<li class="flag (go|stop)">([^<]+)</li>', page)
    assert flags == [("go", "Text only — after 6 pm"), ("stop", "Do not call"), ("stop", "No voicemail")]
    assert page.index("Text only — after 6 pm") < page.index("+17735550123") < page.index("CSCC outreach may text you")
    assert "contact by CSCC outreach about this need" in page and "Food" in page  # consent scope; the need's label


@pytest.mark.parametrize(
    ("text", "call", "voicemail", "method", "words"),
    [
        (True, True, False, "call", ["Text or call"]),
        (False, True, True, "call", ["Call only", "Do not text", "No voicemail"]),
        (False, False, False, "text", ["Do not text or call"]),
        (False, False, False, "self", ["Do not contact: the resident will call the program"]),
    ],
)
def test_safety_flags_say_what_is_safe_and_what_is_not(text, call, voicemail, method, words):
    request = referral_request(
        safe_to_text=text,
        safe_to_call=call,
        no_voicemail=voicemail,
        safe_times=None,
        contact_method=method,
        contact=None if method == "self" else "+17735550123",
    )
    assert [f.text for f in safety_flags(request)] == words


def test_work_a_referral_through_the_forms(client, people, db):
    users, headers = people
    code = new_referral(client, headers)
    url = f"/staff/referrals/{code}"
    supervisor, outreach = signed_in(client, users["supervisor"]), signed_in(client, users["outreach"])
    page = supervisor.get(url).text
    assert 'action="/staff/referrals/' + code + '/assign"' in page and "Close the referral" in page
    assert "Mark contacted" not in page  # new → assigned or closed only
    assigned = post_form(supervisor, url, f"{url}/assign", assignee=str(users["outreach"].id))
    assert assigned.status_code == 303 and assigned.headers["location"] == f"{url}?done=assign"
    page = outreach.get(assigned.headers["location"]).text
    assert "Referral assigned." in page and "Mark contacted" in page and f"{url}/assign" not in page  # no assigning
    assert post_form(outreach, url, f"{url}/status", status="contacted").status_code == 303
    missing = post_form(outreach, url, f"{url}/status", status="connected")
    assert missing.status_code == 422 and "Choose an outcome to mark this referral connected" in missing.text
    wrong = post_form(outreach, url, f"{url}/status", status="new")
    assert wrong.status_code == 422 and "Traceback" not in wrong.text
    skip = post_form(outreach, url, f"{url}/status", status="assigned")
    assert skip.status_code == 403 and "Not changed: only a supervisor assigns referrals." in skip.text
    done = post_form(outreach, url, f"{url}/status", status="connected", outcome="served")
    assert done.status_code == 303 and done.headers["location"] == f"{url}?done=status"
    noted = post_form(outreach, url, f"{url}/notes", text="  Talked at 6:30 pm; she starts Monday.  ")
    assert noted.status_code == 303 and noted.headers["location"] == f"{url}?done=note"
    empty = post_form(outreach, url, f"{url}/notes", text="   ")
    assert empty.status_code == 422 and "Write a note" in empty.text
    page = outreach.get(noted.headers["location"]).text
    assert "Note added." in page and "Talked at 6:30 pm; she starts Monday." in page
    history = [row[1:] for row in body_rows(page, 'id="history"')]
    sup, out = users["supervisor"].display_name, users["outreach"].display_name
    assert history == [
        ["Resident", "New", ""],
        [sup, "New → Assigned", ""],
        [out, "Assigned → Contacted", ""],
        [out, "Contacted → Connected", "Served"],
    ]
    # A refused change left nothing behind: no status audit entry for "new" or the missing outcome.
    details = [e.detail for e in audit_entries(db, code=code) if e.action == "status"]
    assert sorted(details) == ["assigned -> contacted", "contacted -> connected"]
    assert get_referral(db, code=code).status == "connected"


def test_forms_without_the_pages_token_are_refused(client, people, db):
    users, headers = people
    code = new_referral(client, headers)
    url = f"/staff/referrals/{code}"
    supervisor, other = signed_in(client, users["supervisor"]), signed_in(client, users["outreach"])
    someone_elses = csrf_of(other.get(url))
    for data in (
        {"text": "no token"},
        {"text": "forged", "csrf": "0" * 64},
        {"text": "not mine", "csrf": someone_elses},
    ):
        answer = supervisor.post(f"{url}/notes", data=data)
        assert answer.status_code == 403 and "did not come from a console page" in answer.text
    assert supervisor.post(f"{url}/status", data={"status": "closed", "outcome": "declined"}).status_code == 403
    assert supervisor.post("/staff/logout").status_code == 403
    referral = get_referral(db, code=code)
    assert referral.status == "new"
    assert list(db.scalars(select(ReferralNote).where(ReferralNote.referral_id == referral.id))) == []


def test_a_note_is_shown_as_text_never_as_markup(client, people):
    users, headers = people
    code = new_referral(client, headers, first_name="<b>Ana</b>")
    url = f"/staff/referrals/{code}"
    b = signed_in(client, users["supervisor"])
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    assert post_form(b, url, f"{url}/notes", text=attack).status_code == 303
    page = b.get(url).text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<script" not in page and "<img" not in page and "<b>Ana" not in page and "&lt;b&gt;Ana&lt;/b&gt;" in page


def test_reading_a_referral_page_is_audited_like_the_api(client, people, db):
    users, headers = people
    code = new_referral(client, headers)
    b = signed_in(client, users["supervisor"])
    before = [e for e in audit_entries(db, code=code) if e.action == "read_contact"]
    assert "+17735550123" in b.get(f"/staff/referrals/{code}").text
    db.expire_all()
    after = [e for e in audit_entries(db, code=code) if e.action == "read_contact"]
    assert len(after) == len(before) + 1 and after[0].actor == f"staff:{users['supervisor'].id}"
    assert all("5550123" not in e.detail for e in audit_entries(db, code=code))
    # The queue shows no contact and reads none.
    queue = b.get("/staff").text
    assert code in queue and "+17735550123" not in queue
    db.expire_all()
    assert len([e for e in audit_entries(db, code=code) if e.action == "read_contact"]) == len(after)
    # Supervisors see it in the audit log page.
    log = b.get("/staff/audit", params={"code": code.lower()}).text
    assert f"{code}</a>" in log and "read contact" in log


def test_the_queue_counts_by_status_and_filters(client, people, db):
    users, headers = people
    b = signed_in(client, users["supervisor"])

    def count(status: str) -> int:
        page = b.get("/staff").text
        return int(re.search(rf'status={status}"[^>]*><span class="count">(\d+)</span>', page).group(1))

    before = count("new")
    code = new_referral(client, headers, needs=["legal"], community_area="HEGEWISCH", language="en")
    assert count("new") == before + 1
    shown = b.get("/staff", params={"need": "legal", "area": "HEGEWISCH", "language": "en", "status": "new"}).text
    assert f"/staff/referrals/{code}" in shown and "matching the filters" in shown
    assert f"/staff/referrals/{code}" not in b.get("/staff", params={"language": "es", "area": "HEGEWISCH"}).text
    assert f"/staff/referrals/{code}" not in b.get("/staff", params={"waiting": "2", "area": "HEGEWISCH"}).text
    waiting = {"older_than_days": 2, "community_area": "HEGEWISCH"}

    def json_queue() -> list[str]:
        return [
            r["code"] for r in client.get("/api/v1/referrals", params=waiting, headers=headers["supervisor"]).json()
        ]

    assert code not in json_queue()
    referral = get_referral(db, code=code)
    referral.created_at = datetime.now(UTC) - timedelta(days=3)
    db.commit()
    old = b.get("/staff", params={"waiting": "2", "area": "HEGEWISCH"}).text
    assert f"/staff/referrals/{code}" in old and "3 days" in old
    assert code in json_queue()  # the JSON queue's age filter is the same SQL
    assert b.get("/staff", params={"status": "lost"}).status_code == 422
    assert "Traceback" not in b.get("/staff", params={"page": "x"}).text
    # An outreach worker's counts are over what they may see: not a referral assigned to someone else.
    assign(client, headers, code, users["outreach-other"])
    outreach = signed_in(client, users["outreach"])
    assert f"/staff/referrals/{code}" not in outreach.get("/staff", params={"area": "HEGEWISCH"}).text
    mine = len(
        client.get("/api/v1/referrals", params={"status": "assigned", "limit": 200}, headers=headers["outreach"]).json()
    )
    page = outreach.get("/staff").text
    assert int(re.search(r'status=assigned"[^>]*><span class="count">(\d+)</span>', page).group(1)) == mine


def test_reports_page_has_the_table_with_small_counts_hidden_and_a_chart(client, people):
    users, headers = people
    for _ in range(5):
        new_referral(client, headers, needs=["utilities"], community_area="MCKINLEY PARK")
    new_referral(client, headers, needs=["utilities"], community_area="BRIDGEPORT")
    b = signed_in(client, users["outreach"])
    page = b.get("/staff/reports", params={"weeks": "4"}).text
    utilities = {area: n for _, need, area, n in body_rows(page) if need == "Utility bills"}
    assert utilities.get("BRIDGEPORT") == "&lt;5" and int(utilities["MCKINLEY PARK"]) >= 5
    assert '<svg role="img"' in page and 'class="bar"' in page and '<title id="chart-title">' in page
    csv = b.get("/staff/reports.csv", params={"weeks": "4"})
    assert csv.status_code == 200 and csv.text.startswith("need,community_area,week,referrals")
    assert b.get("/staff/reports", params={"weeks": "5"}).status_code == 422


def test_sign_out_ends_the_session_and_a_bad_cookie_asks_to_sign_in(client, people):
    users, _ = people
    b = signed_in(client, users["outreach"])
    out = post_form(b, "/staff", "/staff/logout")
    assert out.status_code == 303 and out.headers["location"] == "/staff/login?signed_out=1"
    assert f'{COOKIE}=""' in out.headers["set-cookie"] and "Max-Age=0" in out.headers["set-cookie"]
    assert b.get("/staff").headers["location"] == "/staff/login"
    stale = browser(client)
    answer = stale.get("/staff/reports", headers={"Cookie": f"{COOKIE}=not.a.token"})
    assert answer.status_code == 303 and answer.headers["location"] == "/staff/login?ended=1&next=%2Fstaff%2Freports"
    assert "Your session ended" in stale.get(answer.headers["location"]).text


def test_admins_create_accounts_and_turn_them_off(client, people):
    users, _ = people
    admin = signed_in(client, users["admin"])
    email = f"new-{users['admin'].id}@cscc.example"
    short = post_form(
        admin, "/staff/accounts", "/staff/accounts", email=email, name="Rosa", role="outreach", password="short"
    )
    assert short.status_code == 422 and "at least 12 characters" in short.text
    made = post_form(
        admin, "/staff/accounts", "/staff/accounts", email=email, name="Rosa", role="outreach", password=PASSWORD
    )
    assert made.status_code == 303 and "Account created." in admin.get(made.headers["location"]).text
    rosa_browser = browser(client)
    assert (
        rosa_browser.post(
            "/staff/login",
            data={"email": email, "password": PASSWORD, "csrf": csrf_of(rosa_browser.get("/staff/login"))},
        ).status_code
        == 303
    )
    assert rosa_browser.get("/staff").status_code == 200
    page = admin.get("/staff/accounts").text
    rosa_id = re.search(rf"{re.escape(email)}</td>.*?/staff/accounts/(\d+)/active", page, re.S).group(1)
    off = post_form(admin, "/staff/accounts", f"/staff/accounts/{rosa_id}/active", active="false")
    assert off.status_code == 303
    assert rosa_browser.get("/staff").status_code == 303  # at once, not when the token expires
    me = post_form(admin, "/staff/accounts", f"/staff/accounts/{users['admin'].id}/active", active="false")
    assert me.status_code == 409
    outreach = signed_in(client, users["outreach"])
    assert (
        post_form(
            outreach, "/staff", "/staff/accounts", email="x@cscc.example", role="admin", password=PASSWORD
        ).status_code
        == 403
    )


def test_every_status_and_outcome_has_a_label():
    assert set(STATUSES) == set(TRANSITIONS) and set(OUTCOME_LABELS) == OUTCOMES
