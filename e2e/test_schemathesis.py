"""The organizer API against its own OpenAPI contract, with Schemathesis.

The contract (Sources/App/Resources/openapi.json, served at /api/v1/openapi.json)
is the promise integrators code against. Schemathesis reads it from the running
server, generates requests from it (valid ones, and in a second run invalid
ones) and checks every answer against it: status codes, content types, response
bodies and headers, authentication, and that nothing is a 5xx.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import uuid

import requests

from helpers import EVENTS_PATH, KEY_RE, new_user

REPO = pathlib.Path(__file__).resolve().parent.parent
CONTRACT = REPO / "Sources" / "App" / "Resources" / "openapi.json"
OPENAPI_PATH = "/api/v1/openapi.json"

SEED = 20_261_126
# Test cases per operation and phase: enough for every operation in every phase,
# few enough that both runs together take about two minutes on two cores.
MAX_EXAMPLES = 50
RUN_TIMEOUT_S = 600

# Checks this suite turns off, each with the reason. Everything else runs.
EXCLUDED_CHECKS: dict[str, str] = {
    # Vapor's router answers 404 (problem+json "Not Found") for a method that a
    # path does not declare, not 405 with an Allow header; Schemathesis flags
    # that (TRACE, PUT, OPTIONS, ...). The contract says so (its info and the 404
    # response of every operation) and so does docs/api.md.
    "unsupported_method": "Vapor answers 404, not 405, for a method a path does not declare",
}

CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="nonce" value="([^"]+)"')
NEW_KEY_RE = re.compile(r'id="new-api-key"[^>]*\bvalue="(kgb_[0-9A-Za-z]+)"')

# Schemathesis's configuration (schemathesis.toml), written to a temporary file.
#
# positive_data_acceptance expects a 2xx for any request the schema allows.
# Two rules of the API cannot be written in JSON Schema: ends_at must be after
# starts_at, and timezone must name a zone the server's IANA database knows (the
# schema gives the shape and examples, not the 600-odd names). Generated bodies
# that break only those rules are rightly answered 422, so 422 is added to the
# check's default statuses; a 400 for schema-valid data still fails it.
SCHEMATHESIS_TOML = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "422", "429", "5xx"]
"""

# `cursor` is opaque: only a next_cursor the API issued is valid, and no JSON
# Schema can tell those from other strings. The run that checks valid data
# therefore uses a real cursor (the negative run fuzzes the parameter freely).
CURSOR_TOML = """
[parameters]
"query.cursor" = "{cursor}"
"""

# Loaded into Schemathesis (SCHEMATHESIS_HOOKS). Schemathesis draws
# Idempotency-Key values from a small space and repeats whole requests across
# scenarios, so the API rightly replays stored responses: a 422 for a key reused
# with another body (most attendee POSTs, leaving little else tested), or the
# stored 201 of an event deleted since, which ensure_resource_availability then
# reads as "created resource not found". So each valid key of a valid request
# gets a fresh unique value just before it is sent. Invalid requests (negative
# cases) are left exactly as generated: a replay needs a first success, and
# editing them would make Schemathesis re-judge them (and, for a request meant
# to lack Authorization, send its -H header after all). Replays themselves are
# covered by the Swift tests.
HOOKS_PY = """
import re
import uuid

import schemathesis

_VALID_KEY = re.compile(r"^[!-~]{1,255}$")


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = getattr(case, "meta", None)
    if meta is None or meta.generation.mode.is_negative or not case.headers:
        return
    for name, value in list(case.headers.items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and _VALID_KEY.match(value):
            case.headers[name] = "st-" + uuid.uuid4().hex
"""


def _csrf(html: str) -> str:
    m = CSRF_RE.search(html)
    assert m, f"no _csrf field in page:\n{html[:2000]}"
    return m.group(1)


def web_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # loopback only, never through a proxy
    return s


def signup_over_http(base_url: str) -> requests.Session:
    """Signs up a new user (and team) with plain form posts; returns the signed-in session."""
    s = web_session()
    user = new_user("contract")
    r = s.get(base_url + "/signup", timeout=10)
    assert r.status_code == 200, f"GET /signup: {r.status_code}"
    r = s.post(
        base_url + "/signup",
        data={
            "name": user.name,
            "email": user.email,
            "password": user.password,
            "team": user.team,
            "_csrf": _csrf(r.text),
        },
        timeout=30,
    )
    assert r.status_code == 200 and r.url.rstrip("/").endswith("/admin/team"), (
        f"sign-up ended at {r.status_code} {r.url}:\n{r.text[:2000]}"
    )
    return s


def create_key_over_http(s: requests.Session, base_url: str, name: str) -> str:
    """Creates an API key on Admin → Team → API Keys → Create API Key; returns it."""
    r = s.get(base_url + "/admin/team/api-keys/new", timeout=10)
    assert r.status_code == 200, f"GET /admin/team/api-keys/new: {r.status_code}"
    nonce = NONCE_RE.search(r.text)
    assert nonce, f"no nonce on the Create API Key page:\n{r.text[:2000]}"
    r = s.post(
        base_url + "/admin/team/api-keys",
        data={"name": name, "nonce": nonce.group(1), "_csrf": _csrf(r.text)},
        timeout=10,
    )
    assert r.status_code == 201, f"POST /admin/team/api-keys: {r.status_code}\n{r.text[:2000]}"
    m = NEW_KEY_RE.search(r.text)
    assert m, "the created key is not on the page"
    key = m.group(1)
    assert KEY_RE.match(key), f"key does not match {KEY_RE.pattern}"
    return key


def schemathesis_cli() -> list[str]:
    st = pathlib.Path(sys.executable).with_name("st")
    if st.is_file():
        return [str(st)]
    found = shutil.which("st")
    assert found, "the Schemathesis CLI (st) is not installed: pip install -r e2e/requirements.txt"
    return [found]


def run_schemathesis(
    base_url: str, key: str, work_dir: pathlib.Path, *extra: str, cursor: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Runs `st run` against the served contract; prints its output (without the key)."""
    config = work_dir / "schemathesis.toml"
    config.write_text(SCHEMATHESIS_TOML + (CURSOR_TOML.format(cursor=cursor) if cursor else ""))
    hooks = work_dir / "schemathesis_hooks.py"
    hooks.write_text(HOOKS_PY)
    cmd = [
        *schemathesis_cli(),
        "--config-file", str(config),
        "--no-color",
        "run", base_url + OPENAPI_PATH,
        "--url", base_url,
        "--header", f"Authorization: Bearer {key}",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-database", "none",
        "--workers", "1",
        "--request-timeout", "20",
        *extra,
    ]
    shown = " ".join(cmd).replace(key, "kgb_…" + key[-4:])
    print(f"$ {shown}", flush=True)
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["SCHEMATHESIS_HOOKS"] = str(hooks)
    result = subprocess.run(
        cmd,
        cwd=work_dir,  # where Hypothesis and Schemathesis may leave files; not the server's
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        stdin=subprocess.DEVNULL,
    )
    # Schemathesis filters Authorization from what it prints; make sure of it.
    output = (result.stdout + result.stderr).replace(key, "kgb_…" + key[-4:])
    print(output, flush=True)
    result.stdout = output
    return result


def test_the_api_keeps_its_openapi_contract(server, api, created_keys, tmp_path_factory):
    base = server.base_url

    # The served contract is the one in the repository (the build copies it).
    r = api.get(base + OPENAPI_PATH, timeout=10)
    assert r.status_code == 200, f"{OPENAPI_PATH}: {r.status_code}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert "Authorization" not in r.request.headers
    assert r.json() == json.loads(CONTRACT.read_text()), (
        f"{OPENAPI_PATH} is not {CONTRACT.relative_to(REPO)}: run `swift build` to copy it"
    )

    s = signup_over_http(base)
    key = create_key_over_http(s, base, "Contract test")
    created_keys.append(key)
    s.close()
    auth = {"Authorization": f"Bearer {key}"}

    # Two events, so that reads, updates and attendee calls have something to
    # find, and a list of one per page has a next_cursor.
    for name in ("Contract test meetup", "Contract test workshop"):
        r = api.post(
            base + EVENTS_PATH,
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            json={
                "name": name,
                "starts_at": "2031-05-01T18:00:00Z",
                "ends_at": "2031-05-01T21:00:00Z",
                "timezone": "Europe/Berlin",
                "capacity": 50,
                "status": "published",
            },
            timeout=10,
        )
        assert r.status_code == 201, f"{r.status_code} {r.text[:500]}"
    r = api.get(base + EVENTS_PATH, params={"limit": 1}, headers=auth, timeout=10)
    assert r.status_code == 200, f"{r.status_code} {r.text[:500]}"
    cursor = r.json()["next_cursor"]
    assert cursor, r.text[:500]

    work_dir = tmp_path_factory.mktemp("schemathesis")

    # Valid and invalid requests, every check but the excluded ones.
    full = run_schemathesis(
        base, key, work_dir, "--exclude-checks", ",".join(EXCLUDED_CHECKS), cursor=cursor
    )
    # Invalid requests only: whatever is thrown at it, the server must not fail with 5xx.
    negative = run_schemathesis(
        base, key, work_dir, "--mode", "negative", "--checks", "not_a_server_error"
    )

    failed = [
        f"schemathesis ({name}) exited {run.returncode}"
        for name, run in (
            ("all modes, all checks but " + ", ".join(EXCLUDED_CHECKS), full),
            ("negative mode, not_a_server_error", negative),
        )
        if run.returncode != 0
    ]
    if failed:
        print(f"server log (tail):\n{server.log_tail(40)}")
    assert not failed, "; ".join(failed) + " (output above)"
