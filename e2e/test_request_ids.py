"""Every answer names its request (#25): each response carries `Request-Id` (1 to 64 of
A–Z a–z 0–9 . _ -), each problem body says the same id as `request_id`, and the server's log line
for the request carries it as `request-id`, so that an integrator quoting the id from their own
log leads the operator to the line. Proved for every operation the served OpenAPI document lists,
with a key and without one, and for the web pages, on SQLite and on PostgreSQL (`backend`).
A key's recorded requests (GET /api/v1/organizer/key/requests) name the same ids."""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass

import pytest
import requests

from support.api import EVENTS, KEY_INFO, OPENAPI, auth, call_api, event
from support.http import http
from support.web import WebClient, new_user

ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")
METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")
LOG_WAIT_S = 10  # the log is written asynchronously


@dataclass
class Answer:
    method: str
    path: str
    status: int
    request_id: str | None
    content_type: str
    body: str

    @property
    def what(self) -> str:
        return f"{self.method} {self.path} → {self.status}"

    @property
    def problem(self) -> dict | None:
        if not self.content_type.startswith("application/problem+json"):
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return {}


def answer(method: str, path: str, r: requests.Response) -> Answer:
    return Answer(method, path, r.status_code, r.headers.get("Request-Id"), r.headers.get("Content-Type", ""),
                  r.text)


def operations(base: str) -> list[tuple[str, str, bool]]:
    """(METHOD, path template, has a request body) of every operation the served document lists:
    deletions last, the innermost first (a check-in's undoing before its attendee), so that the
    others still find what they name."""
    r = http().get(base + OPENAPI, timeout=30)
    assert r.status_code == 200, r.text[:300]
    ops = [(method.upper(), path, "requestBody" in op)
           for path, item in r.json()["paths"].items()
           for method, op in item.items() if method in METHODS]
    assert len(ops) >= 15, f"the served document lists only {len(ops)} operations"
    return sorted(ops, key=lambda op: (op[0] == "DELETE", -op[1].count("/") if op[0] == "DELETE" else 0,
                                       "/check-ins/" not in op[1] if op[0] == "DELETE" else 0))


def filled(template: str, ids: dict[str, str]) -> str:
    path = re.sub(r"\{([a-z_]+)\}", lambda m: ids[m.group(1)], template)
    assert "{" not in path, template
    return path


def id_problems(answers: list[Answer]) -> list[str]:
    """What is wrong with the answers' ids: a missing or malformed header, a problem body without
    the same id (or an API refusal that is no problem body), an id given twice."""
    problems = []
    seen: dict[str, str] = {}
    for a in answers:
        if a.request_id is None or not ID_RE.fullmatch(a.request_id):
            problems.append(f"{a.what}: Request-Id {a.request_id!r}")
            continue
        if a.request_id in seen:
            problems.append(f"{a.what}: Request-Id {a.request_id} was also {seen[a.request_id]}'s")
        seen[a.request_id] = a.what
        problem = a.problem
        if problem is not None and problem.get("request_id") != a.request_id:
            problems.append(f"{a.what}: problem body's request_id {problem.get('request_id')!r}, "
                            f"header {a.request_id}: {a.body[:200]}")
        if a.status >= 400 and a.path.startswith("/api/") and problem is None:
            problems.append(f"{a.what}: refusal as {a.content_type!r}, not a problem: {a.body[:200]}")
    return problems


def unlogged(server, answers: list[Answer]) -> list[str]:
    """The answers whose request has no log line `METHOD PATH [… request-id: ID …]`, after waiting
    up to LOG_WAIT_S for the log to catch up."""
    patterns = [(f"{a.what} ({a.request_id})",
                 re.compile(rf"\] {a.method} {re.escape(a.path)} \[(?:[^\]]*, )?"
                            rf"request-id: {re.escape(a.request_id or '-')}[,\]]")) for a in answers]
    deadline = time.monotonic() + LOG_WAIT_S
    while True:
        log = server.log()
        missing = [what for what, pattern in patterns if not pattern.search(log)]
        if not missing or time.monotonic() > deadline:
            return missing
        time.sleep(0.3)


@pytest.fixture(scope="module")
def team(backend):
    """A new team on the backend's server: (its signed-in web client, an API key, the key's row id,
    {event_id, attendee_id} of an event and a registration made with the key, the registration's
    ticket code)."""
    _, srv, _ = backend
    web = WebClient()
    web.signup(srv.url)
    key, key_id = web.create_key(srv.url, "Request ids")
    with http() as s:
        r = call_api(srv.url, key, EVENTS, "POST", session=s, json=event("Id week"))
        assert r.status_code == 201, r.text
        event_id = r.json()["id"]
        r = call_api(srv.url, key, f"{EVENTS}/{event_id}/attendees", "POST", session=s,
                     json={"name": "Ana Ids", "email": "ana.ids@example.com"})
        assert r.status_code == 201, r.text
    return web, key, key_id, {"event_id": event_id, "attendee_id": r.json()["id"]}, r.json()["ticket_code"]


def valid_bodies(ticket_code: str) -> dict[tuple[str, str], dict]:
    """Minimal bodies the writes accept, by (METHOD, path template); the others get `{}`."""
    return {
        ("POST", EVENTS): event("Id week, again"),
        ("PATCH", EVENTS + "/{event_id}"): {"name": "Id week (renamed)"},
        ("POST", EVENTS + "/{event_id}/attendees"): {"name": "Bo Ids", "email": "bo.ids@example.com"},
        ("PATCH", EVENTS + "/{event_id}/attendees/{attendee_id}"): {"name": "Ana M. Ids"},
        ("POST", EVENTS + "/{event_id}/check-ins"): {"ticket_code": ticket_code},
    }


@pytest.fixture(scope="module")
def keyed_answers(backend, team) -> list[Answer]:
    """Every operation called with the team's key: first naming random ids with empty bodies
    (404s, 400s), then the real event and registration with bodies they accept, each POST twice
    (the second registration and check-in conflict: refusals made inside a transaction), so that
    the deletions at the end delete them."""
    _, srv, _ = backend
    _, key, _, real, ticket_code = team
    random_ids = {name: str(uuid.uuid4()) for name in real}
    bodies = valid_bodies(ticket_code)
    answers = []
    with http() as s:
        for ids in (random_ids, real):
            for method, template, has_body in operations(srv.url):
                path = filled(template, ids)
                body = bodies.get((method, template), {}) if ids is real else {}
                for _ in range(2 if ids is real and method == "POST" else 1):
                    r = call_api(srv.url, key, path, method, session=s, **({"json": body} if has_body else {}))
                    answers.append(answer(method, path, r))
    return answers


def test_every_operation_answers_a_keyed_request_with_its_id_in_the_header_the_problem_and_the_log(
        backend, keyed_answers):
    _, srv, _ = backend
    assert not id_problems(keyed_answers), "\n".join(id_problems(keyed_answers))
    statuses = {a.status for a in keyed_answers}
    # Not only refusals: the real event and registration are read, changed, checked in and
    # deleted; and refused as unknown, unreadable and conflicting.
    assert {200, 201, 204, 400, 403, 404, 409} <= statuses, sorted(statuses)
    missing = unlogged(srv, keyed_answers)
    assert not missing, "no log line with the request id for:\n" + "\n".join(missing)


def test_every_operation_answers_a_request_without_a_key_with_its_id_in_the_header_the_problem_and_the_log(
        backend, team):
    _, srv, _ = backend
    *_, real, _ = team
    answers = []
    with http() as s:
        for method, template, has_body in operations(srv.url):
            path = filled(template, real)
            r = call_api(srv.url, None, path, method, session=s, **({"json": {}} if has_body else {}))
            answers.append(answer(method, path, r))
    assert not id_problems(answers), "\n".join(id_problems(answers))
    organizer = [a for a in answers if a.path.startswith("/api/v1/organizer/")]
    assert organizer and all(a.status == 401 for a in organizer), [a.what for a in organizer]
    missing = unlogged(srv, answers)
    assert not missing, "no log line with the request id for:\n" + "\n".join(missing)


def test_a_keys_recorded_requests_name_the_ids_its_answers_carried(backend, team, keyed_answers):
    _, srv, _ = backend
    _, key, *_ = team
    organizer = [a for a in keyed_answers if a.path.startswith("/api/v1/organizer/")]
    with http() as s:
        r = call_api(srv.url, key, "/api/v1/organizer/key/requests?limit=200", session=s)
        assert r.status_code == 200, r.text
        body = r.json()
        failures = call_api(srv.url, key, "/api/v1/organizer/key/requests?status=failures&limit=200", session=s)
        assert failures.status_code == 200, failures.text
    assert body["recorded"] is True, body
    recorded = {entry["request_id"]: entry for entry in body["data"]}
    problems = []
    for a in organizer:
        entry = recorded.get(a.request_id)
        if entry is None:
            problems.append(f"{a.what} ({a.request_id}): not among the key's requests")
            continue
        got = (entry["method"], entry["path"], entry["status"], entry["client_address"])
        if got != (a.method, a.path, a.status, "127.0.0.1"):
            problems.append(f"{a.what} ({a.request_id}): recorded as {got}")
        if a.status >= 400 and (entry["problem"] or {}).get("detail") != a.problem.get("detail"):
            problems.append(f"{a.what} ({a.request_id}): recorded problem {entry['problem']}, answered {a.body[:200]}")
        if a.status < 400 and entry["problem"] is not None:
            problems.append(f"{a.what} ({a.request_id}): a success recorded with a problem {entry['problem']}")
    assert not problems, "\n".join(problems)
    failed = {entry["request_id"] for entry in failures.json()["data"]}
    assert all(entry["status"] >= 400 for entry in failures.json()["data"]), failures.json()["data"]
    assert failed >= {a.request_id for a in organizer if a.status >= 400}, "a refusal missing under status=failures"


def test_every_web_page_answers_with_a_request_id_that_its_log_line_carries(backend):
    _, srv, _ = backend
    base = srv.url
    web = WebClient()
    answers = []

    def get(path: str, expected: int) -> str:
        r = web.get(base, path)
        assert r.status_code == expected, (path, r.status_code, r.text[:300])
        answers.append(answer("GET", path, r))
        return r.text

    get("/", 303)  # to the login page
    get("/login", 200)
    page = get("/signup", 200)
    get("/no-such-page", 404)
    get("/docs/api", 200)
    get("/style.css", 200)
    user = new_user("ids")
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page).group(1)
    r = web.post(base, "/signup", {"name": user.name, "email": user.email, "password": user.password,
                                   "team": user.team, "_csrf": csrf})
    assert r.status_code == 303, (r.status_code, r.text[:300])
    answers.append(answer("POST", "/signup", r))
    get("/admin/team", 200)
    get("/admin/team/api-keys", 200)
    get("/admin/team/activity", 200)
    get("/admin/no-such-page", 404)
    assert not id_problems(answers), "\n".join(id_problems(answers))
    missing = unlogged(srv, answers)
    assert not missing, "no log line with the request id for:\n" + "\n".join(missing)


def test_a_clients_own_x_request_id_is_not_taken_and_never_reaches_the_log(backend, team):
    """Only a trusted proxy's X-Request-Id is believed: a client's would let it write another
    request's id (or anything) into the log."""
    _, srv, _ = backend
    _, key, *_ = team
    forged = f"forged-{uuid.uuid4().hex}"
    answers = []
    with http() as s:
        for path, headers in ((KEY_INFO, auth(key)), (KEY_INFO, {"Accept": "application/json"}), ("/login", {})):
            r = s.get(srv.url + path, headers={**headers, "X-Request-Id": forged}, allow_redirects=False, timeout=30)
            answers.append(answer("GET", path, r))
    assert [a.status for a in answers] == [200, 401, 200], [a.what for a in answers]
    assert all(a.request_id != forged for a in answers), [a.request_id for a in answers]
    assert not id_problems(answers), "\n".join(id_problems(answers))
    assert not unlogged(srv, answers)
    assert forged not in srv.log(), [line for line in srv.log().splitlines() if forged in line]


def test_every_problem_names_a_type_that_the_api_reference_explains(backend, keyed_answers):
    """Issue 27, part 3: clients branch on `type`, never on English text; each type the API
    answered with, keyed or not, is a link to its entry under Problem types on /docs/api."""
    _, srv, _ = backend
    with http() as s:
        reference = s.get(srv.url + "/docs/api", timeout=30)
        anonymous = []
        for method, template, _ in operations(srv.url)[:6]:
            path = re.sub(r"\{[a-z_]+\}", lambda _: str(uuid.uuid4()), template)
            anonymous.append(answer(method, path, call_api(srv.url, None, path, method, session=s)))
    assert reference.status_code == 200
    anchors = set(re.findall(r'<dt id="([a-z-]+)"><code>/docs/api#\1</code>', reference.text))
    assert {"invalid-key", "missing-key", "not-found", "conflict", "invalid"} <= anchors, sorted(anchors)
    wrong = []
    for a in keyed_answers + anonymous:
        if a.problem is None:
            continue
        kind = a.problem.get("type", "")
        if not kind.startswith("/docs/api#") or kind.removeprefix("/docs/api#") not in anchors:
            wrong.append(f"{a.what}: type {kind!r}")
    assert not wrong, "\n".join(wrong)
    kinds = {a.problem["type"] for a in keyed_answers if a.problem}
    assert {"/docs/api#not-found", "/docs/api#conflict"} <= kinds, sorted(kinds)
