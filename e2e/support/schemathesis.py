"""Schemathesis (its CLI, `st`, from this venv) against the contract a server serves."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

from support.api import OPENAPI

SEED = 20_261_126
# Test cases per operation and phase: enough for every operation in every phase,
# few enough that both runs together take about two minutes on two cores.
MAX_EXAMPLES = 50
RUN_TIMEOUT_S = 600

# Schemathesis's configuration (schemathesis.toml), written to a temporary file.
#
# positive_data_acceptance expects a 2xx for any request the schema allows.
# Two rules of the API cannot be written in JSON Schema: ends_at must be after
# starts_at, and timezone must name a zone the server's IANA database knows (the
# schema gives the shape and examples, not the 600-odd names). Generated bodies
# that break only those rules are rightly answered 422, so 422 is added to the
# check's default statuses; a 400 for schema-valid data still fails it. Likewise 412:
# an `If-Match` the schema allows (any entity tag) is rightly refused when it does
# not name the resource's current version, which no schema can know.
#
# ensure_resource_availability reads any 404 from an operation under a path just created as
# "created resource not found". POST …/events/{event_id}/check-ins answers 404 for a ticket code
# no attendee of the event has (docs/api.md, openapi.json), and no generated code is one: an event
# the stateful phase has just created has no attendees at all. So that one check is off for that
# one operation; its other checks, and this check everywhere else, still run.
SCHEMATHESIS_TOML = """
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429", "5xx"]

[[operations]]
include-path = "/api/v1/organizer/events/{event_id}/check-ins"
include-method = "POST"
checks.ensure_resource_availability.enabled = false
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
        "run", base_url + OPENAPI,
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
