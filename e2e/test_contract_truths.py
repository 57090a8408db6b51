"""What issue #27 found untrue, each checked against the running binary and the contract it serves.

Integrators and operators found the contract (GET /api/v1/openapi.json) saying one thing and the
server doing another, and the binary surprising the people who run it. Each test here is one of
those findings, black box: it reads the contract from the server under test and asks the server,
so it fails on the binary (and contract) the issue was filed against and passes now. Findings
proved elsewhere: the generated client (test_generated_client.py), lost updates
(test_conditional_edits.py), the command line (test_binary.py), nginx's own errors and certbot's
port-80 challenge (test_nginx_errors.py), the static release binary (scripts/release --check).
"""

from __future__ import annotations

import json
import re
import threading
import uuid

import requests

from support.api import EVENTS, OPENAPI, auth, call_api, event
from support.http import http
from support.kagibag import running, server_env
from support.processes import work_dir
from support.tools import REPO
from support.web import signed_up_key


def served_contract(base: str) -> dict:
    r = requests.get(base + OPENAPI, timeout=10)
    assert r.status_code == 200, r.status_code
    return r.json()


def resolved(contract: dict, item: dict) -> dict:
    """`item`, or what its `$ref` (#/components/…) points at."""
    while "$ref" in item:
        node = contract
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


def schema(contract: dict, name: str) -> dict:
    return contract["components"]["schemas"][name]


def new_event(base: str, key: str, **fields) -> dict:
    r = call_api(base, key, EVENTS, "POST", json=event("Contract truths", **fields))
    assert r.status_code == 201, r.text[:300]
    return r.json()


# --- the contract ---------------------------------------------------------------------------------


def test_every_operation_declares_a_server_error_as_a_problem(server):
    """An instance down behind nginx is a 502; a generated client must be able to read it."""
    contract = served_contract(server.url)
    missing = []
    for path, item in contract["paths"].items():
        for method, operation in item.items():
            if method not in ("get", "post", "patch", "put", "delete"):
                continue
            responses = operation["responses"]
            server_errors = [code for code in responses if code.upper() == "5XX" or code.startswith("5")]
            problem = [code for code in server_errors
                       if "application/problem+json" in resolved(contract, responses[code]).get("content", {})]
            if not problem:
                missing.append(f"{method.upper()} {path}")
    assert not missing, f"operations that declare no 5xx problem: {missing}"


def test_a_time_sent_with_a_fraction_comes_back_to_the_millisecond_as_the_contract_says(server):
    key = signed_up_key(server.url, "Times")
    created = new_event(server.url, key, starts_at="2031-05-01T18:00:00.250+02:00",
                        ends_at="2031-05-01T20:00:00Z")
    assert created["starts_at"] == "2031-05-01T16:00:00.250Z", created
    assert created["ends_at"] == "2031-05-01T20:00:00Z", created
    contract = served_contract(server.url)
    for name in ("DateTime", "DateTimeInput"):
        text = schema(contract, name)["description"]
        assert "responses show whole seconds" not in text and "to the second" not in text, (name, text)
    assert "millisecond" in schema(contract, "DateTimeInput")["description"]


def test_ids_are_written_in_lower_case_as_the_contract_says(server):
    key = signed_up_key(server.url, "Ids")
    created = new_event(server.url, key)
    assert created["id"] == created["id"].lower() and uuid.UUID(created["id"]), created
    text = json.dumps(schema(served_contract(server.url), "Uuid"))
    assert "upper case" not in text and "upper-case" not in text, text
    assert "lower case" in text, text


def test_a_retry_racing_the_first_request_waits_and_gets_it_replayed_as_the_contract_says(server):
    key = signed_up_key(server.url, "Retries")
    idempotency_key = str(uuid.uuid4())
    body = event("Sent twice at once")
    answers: list[requests.Response | None] = [None, None]
    gate = threading.Barrier(2)

    def send(i: int) -> None:
        with http() as s:
            gate.wait()
            answers[i] = call_api(server.url, key, EVENTS, "POST", session=s, json=body,
                                  headers={"Idempotency-Key": idempotency_key})

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(a is not None and a.status_code == 201 for a in answers), [
        (a.status_code, a.text[:200]) if a is not None else None for a in answers]
    assert answers[0].json()["id"] == answers[1].json()["id"], "one request, one event"
    replayed = sorted(a.headers.get("Idempotent-Replayed", "") for a in answers)
    assert replayed == ["", "true"], replayed
    text = next(p for p in served_contract(server.url)["components"]["parameters"].values()
                if p["name"] == "Idempotency-Key")["description"]
    assert "waits" in text and "still running gets 409" not in text, text


# Values each text field's pattern in the contract and the server must judge alike: accepted by
# one exactly when accepted by the other.
TEXT_SAMPLES = ["vip", " vip ", "\tvip\n", "a b", "Zoë", "a\u0000b", "a\tb", "a\nb", "a\u0085b", "a\u007fb",
                "\u0001", " \u0001 ", "\u3000x\u3000", "x\u200by", "\u200bvip\u200b", "\u200b", "\ufeffvip"]


def test_the_contract_states_each_text_fields_character_rules_as_the_server_applies_them(server):
    """A schema could state "no control characters", so it does: a generated client or a form
    checking the pattern refuses what the server would refuse, and nothing else."""
    contract = served_contract(server.url)
    key = signed_up_key(server.url, "Characters")
    ev = new_event(server.url, key)
    disagreements = []
    for field, schema_name in [("name", "PersonName"), ("ticket_type", "TicketType")]:
        pattern = re.compile(schema(contract, schema_name)["pattern"])
        for i, value in enumerate(TEXT_SAMPLES):
            body = {"name": "Ada", "email": f"chars-{field}-{i}@example.com", field: value}
            r = call_api(server.url, key, f"{EVENTS}/{ev['id']}/attendees", "POST", json=body)
            assert r.status_code in (201, 422), (field, value, r.status_code, r.text[:200])
            if (r.status_code == 201) != bool(pattern.search(value)):
                disagreements.append((field, value, r.status_code))
    for field, schema_name in [("name", "EventName"), ("venue", "Venue"), ("description", "Description")]:
        pattern = re.compile(schema(contract, schema_name)["pattern"])
        for value in TEXT_SAMPLES:
            r = call_api(server.url, key, f"{EVENTS}/{ev['id']}", "PATCH", json={field: value})
            assert r.status_code in (200, 422), (field, value, r.status_code, r.text[:200])
            if (r.status_code == 200) != bool(pattern.search(value)):
                disagreements.append((field, value, r.status_code))
    assert not disagreements, f"the contract's pattern and the server disagree on: {disagreements}"


def test_a_ticket_type_with_a_control_character_is_refused_for_that_not_for_its_length(server):
    key = signed_up_key(server.url, "Tab")
    ev = new_event(server.url, key)
    r = call_api(server.url, key, f"{EVENTS}/{ev['id']}/attendees", "POST",
                 json={"name": "Ada", "email": "tab@example.com", "ticket_type": "a\tb"})
    assert r.status_code == 422, r.text[:300]
    message = " ".join(e["message"] for e in r.json()["errors"] if e["field"] == "ticket_type")
    assert "control characters" in message and "1 to 100" not in message, r.json()


def test_a_mistyped_query_parameter_is_refused_naming_it(server):
    key = signed_up_key(server.url, "Typos")
    r = call_api(server.url, key, EVENTS + "?staus=published")
    assert r.status_code == 400, (r.status_code, r.text[:300])
    problem = r.json()
    assert problem["field"] == "staus" and "staus" in problem["detail"], problem


def test_refusals_name_a_problem_type_that_the_api_reference_explains(server):
    key = signed_up_key(server.url, "Types")
    refusals = [
        (call_api(server.url, None, EVENTS), 401, "missing-key"),
        (call_api(server.url, "kgb_" + "A" * 46, EVENTS), 401, "invalid-key"),
        (call_api(server.url, key, f"{EVENTS}/{uuid.uuid4()}"), 404, "not-found"),
        (call_api(server.url, key, EVENTS, "POST", json={"name": "x"}), 400, None),
    ]
    reference = requests.get(server.url + "/docs/api", timeout=30).text
    for r, status, slug in refusals:
        problem = r.json()
        assert r.status_code == status and problem["type"] != "about:blank", (r.status_code, problem)
        assert problem["type"].startswith("/docs/api#"), problem
        if slug:
            assert problem["type"] == f"/docs/api#{slug}", problem
        anchor = problem["type"].split("#", 1)[1]
        assert f'id="{anchor}"' in reference, f"/docs/api does not explain {anchor}"


# --- the binary, for operators ----------------------------------------------------------------------


def test_metrics_count_an_unserved_method_as_other_and_carry_build_and_process_figures(server):
    with http() as s:
        for method in ("PROPFIND", "MKCOL", "LOCK"):  # methods HTTP parsers know and the API serves not
            assert s.request(method, server.url + EVENTS, timeout=10).status_code == 404, method
        text = s.get(server.url + "/metrics", timeout=10).text
    methods = set(re.findall(r'method="([^"]*)"', text))
    assert not methods & {"PROPFIND", "MKCOL", "LOCK"}, methods
    assert "other" in methods, methods
    for name in ("kagibag_build_info", "process_resident_memory_bytes", "process_open_fds",
                 "process_cpu_seconds_total", "process_start_time_seconds"):
        assert re.search(rf"^{name}(\{{[^}}]*\}})? ", text, re.M), f"/metrics has no {name}"
    assert re.search(r'^kagibag_build_info\{[^}]*version="[^"]+"[^}]*commit="[^"]*"', text, re.M), text[:400]


def test_livez_answers_while_the_database_is_down_and_healthz_says_not_ready(postgres):
    """/healthz is readiness (the database answers); a liveness probe on it restarted every
    instance during a database outage."""
    db = postgres.new_database("liveness")
    with work_dir("kagibag-livez-") as d, running(d / "server", server_env(DATABASE_URL=db.url)) as srv:
        with http() as s:
            assert s.get(srv.url + "/livez", timeout=10).status_code == 200
            assert s.get(srv.url + "/healthz", timeout=10).status_code == 200
            postgres.stop()  # the module's own cluster: nothing else here uses it
            live = s.get(srv.url + "/livez", timeout=10)
            ready = s.get(srv.url + "/healthz", timeout=30)
        assert live.status_code == 200, (live.status_code, live.text[:200])
        assert ready.status_code == 503, (ready.status_code, ready.text[:200])


def test_the_deploy_guide_covers_what_operators_asked_for():
    guide = (REPO / "docs" / "deploy.md").read_text()
    for needle, what in [
        ("0600", "the settings file's mode (it holds the database password)"),
        ("certbot", "certificate renewal"),
        (".well-known/acme-challenge", "certbot's webroot left out of the port-80 redirect"),
        ("http2 on;", "nginx 1.25's http2 directive"),
        ("logrotate", "log rotation"),
        ("PostgreSQL 15", "supported PostgreSQL versions"),
        ("going back", "going back to the previous release (rollback)"),
        ("/livez", "the liveness probe"),
    ]:
        assert needle.lower() in guide.lower(), f"docs/deploy.md does not cover {what} ({needle!r})"
    assert "listen 443 ssl http2" not in guide, "listen … http2 is deprecated since nginx 1.25.1"
