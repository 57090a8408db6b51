"""The organizer API against its own OpenAPI contract, with Schemathesis.

The contract (Sources/App/Resources/openapi.json, served at /api/v1/openapi.json)
is the promise integrators code against. Schemathesis reads it from the running
server, generates requests from it (valid ones, and in a second run invalid
ones) and checks every answer against it: status codes, content types, response
bodies and headers, authentication, and that nothing is a 5xx.
"""

from __future__ import annotations

import json
import uuid

import pytest

from support.api import EVENTS, OPENAPI
from support.schemathesis import RUN_TIMEOUT_S, run_schemathesis
from support.tools import REPO
from support.web import signed_up_key

CONTRACT = REPO / "Sources" / "App" / "Resources" / "openapi.json"

# Checks this suite turns off, each with the reason. Everything else runs.
EXCLUDED_CHECKS: dict[str, str] = {
    # Vapor's router answers 404 (problem+json "Not Found") for a method that a
    # path does not declare, not 405 with an Allow header; Schemathesis flags
    # that (TRACE, PUT, OPTIONS, ...). The contract says so (its info and the 404
    # response of every operation) and so does docs/api.md.
    "unsupported_method": "Vapor answers 404, not 405, for a method a path does not declare",
}


@pytest.mark.timeout(2 * RUN_TIMEOUT_S + 180)  # its two runs have limits of their own
def test_the_api_keeps_its_openapi_contract(server, api, created_keys, tmp_path_factory):
    base = server.url

    # The served contract is the one in the repository (the build copies it).
    r = api.get(base + OPENAPI, timeout=10)
    assert r.status_code == 200, f"{OPENAPI}: {r.status_code}"
    assert r.headers["Content-Type"].startswith("application/json"), r.headers
    assert "Authorization" not in r.request.headers
    assert r.json() == json.loads(CONTRACT.read_text()), (
        f"{OPENAPI} is not {CONTRACT.relative_to(REPO)}: run `swift build` to copy it"
    )

    key = signed_up_key(base, "Contract test")
    created_keys.append(key)
    auth = {"Authorization": f"Bearer {key}"}

    # Two events, so that reads, updates and attendee calls have something to
    # find, and a list of one per page has a next_cursor.
    for name in ("Contract test meetup", "Contract test workshop"):
        r = api.post(
            base + EVENTS,
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
    r = api.get(base + EVENTS, params={"limit": 1}, headers=auth, timeout=10)
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
