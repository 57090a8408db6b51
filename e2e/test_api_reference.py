"""/docs/api: the API reference the product serves, rendered on the server from openapi.json."""

from __future__ import annotations

import subprocess
import uuid

from playwright.sync_api import expect

from support.api import EVENTS, OPENAPI, call_api, event
from support.web import WebClient

METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def test_the_reference_lists_every_operation_of_openapi_json_and_loads_nothing_from_elsewhere(page, server, api):
    spec = api.get(server.url + OPENAPI, timeout=30).json()
    documented = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item if method in METHODS}
    assert len(documented) >= 16

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/docs/api")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    shown = page.locator("article.operation").evaluate_all("articles => articles.map(a => a.dataset.operation)")
    assert sorted(shown) == sorted(documented), set(shown) ^ documented
    for operation in spec["paths"].values():
        for method, details in operation.items():
            if method not in METHODS:
                continue
            article = page.locator(f"article#{details['operationId']}")
            expect(article.get_by_role("heading", level=3)).to_contain_text(method.upper())
            expect(page.get_by_role("navigation", name="Contents").locator(f"a[href='#{details['operationId']}']")).to_have_count(1)

    expect(page.get_by_role("heading", name="Authentication", exact=True)).to_be_visible()
    expect(page.locator("#bearer-header")).to_have_text("Authorization: Bearer YOUR_API_KEY")
    expect(page.locator("#reference-example")).to_contain_text(f"{server.url}/api/v1/organizer/events")
    expect(page.locator("#problem-example")).to_contain_text('"status" : 422')
    assert requested and all(url.startswith(server.url) for url in requested), requested


def test_openapi_json_as_served_is_a_valid_openapi_3_1_document(server, api):
    """Issue 27: the document passes openapi-spec-validator (OpenAPI 3.1, every $ref resolving),
    as the server serves it."""
    from openapi_spec_validator import validate
    from openapi_spec_validator.versions import consts

    spec = api.get(server.url + OPENAPI, timeout=30).json()
    assert spec["openapi"].startswith("3.1"), spec["openapi"]
    validate(spec)  # raises, naming the first problem, if the document is not valid
    assert consts is not None


# --- issue 28: a request to copy for every operation, and it works -------------------------------

ORDER_LAST = ["rollKey"]  # rolling replaces the key the other requests use


def test_every_operation_has_a_request_whose_copy_runs_as_documented(new_page, server, api, created_keys):
    """The Copy button of each operation puts a curl command on the clipboard; with the key and the
    ids put in place of the placeholders it runs, and the server answers as the reference says (2xx,
    except the GitHub report, which without GitHub's signature answers one of its documented errors)."""
    spec = api.get(server.url + OPENAPI, timeout=30).json()
    documented = {details["operationId"]: {str(code) for code in details["responses"]}
                  for item in spec["paths"].values() for method, details in item.items() if method in METHODS}
    client = WebClient()
    client.signup(server.url)
    key, _ = client.create_key(server.url, "Reference walk", may_roll_itself="on")
    created_keys.append(key)

    def post(path: str, body: dict) -> dict:
        r = call_api(server.url, key, path, "POST", json=body, session=api)
        assert r.status_code == 201, r.text
        return r.json()

    kept = post(EVENTS, event("Reference walk", capacity=10))
    doomed = post(EVENTS, event("Deleted by the walk"))
    attendees = f"{EVENTS}/{kept['id']}/attendees"
    person, leaving, arriving = (post(attendees, {"name": n, "email": f"{n.lower()}-{uuid.uuid4().hex[:8]}@example.com"})
                                 for n in ("Grace", "Linus", "Ada"))
    ids = {"EVENT_ID": kept["id"], "ATTENDEE_ID": person["id"]}
    special = {"deleteEvent": {"EVENT_ID": doomed["id"]}, "deleteAttendee": {"ATTENDEE_ID": leaving["id"]},
               "undoCheckIn": {"ATTENDEE_ID": arriving["id"]}}

    page = new_page(width=1280, height=800)
    assert page.goto("/docs/api").status == 200
    expect(page.locator("#first-call-example")).to_contain_text(f"{server.url}/api/v1/organizer/key")
    first = page.get_by_role("button", name="Copy the first call", exact=True)
    first.click()
    first_call = page.evaluate("navigator.clipboard.readText()")
    assert run(first_call.replace("YOUR_API_KEY", key)) == "200", first_call

    operations = page.locator("article.operation").evaluate_all("articles => articles.map(a => a.id)")
    assert sorted(operations) == sorted(documented)
    operations.sort(key=lambda op: op in ORDER_LAST)
    answers: dict[str, str] = {}
    for operation in operations:
        article = page.locator(f"article#{operation}")
        article.locator("button[data-copy]").click()
        expect(article.locator(".copy-status")).to_have_text("Copied to the clipboard.")
        command = page.evaluate("navigator.clipboard.readText()")
        assert command == article.locator("pre.example").first.inner_text(), operation
        assert command.startswith("curl ") and server.url + "/api/v1/" in command, command
        command = command.replace("YOUR_API_KEY", key).replace("7K3M-9QXR-2B4T", arriving["ticket_code"])
        for placeholder, value in {**ids, **special.get(operation, {})}.items():
            command = command.replace(placeholder, value)
        status = run(command)
        answers[operation] = status
        assert status in documented[operation], f"{operation}: {status}, documented {sorted(documented[operation])}"
        if operation != "reportGitHubSecretScanning":
            assert status.startswith("2"), f"{operation}: {status}\n{command}"
    assert len(answers) == len(documented)
    # What the walk did is what the requests said (the old secret has an hour's grace after the roll).
    assert call_api(server.url, key, f"{EVENTS}/{doomed['id']}", session=api).status_code == 404
    assert call_api(server.url, key, f"{attendees}/{leaving['id']}", session=api).status_code == 404
    assert call_api(server.url, key, f"{attendees}/{arriving['id']}", session=api).json()["status"] == "registered"


def run(command: str) -> str:
    """Runs a copied command as a shell would, returning the HTTP status curl saw."""
    done = subprocess.run(["bash", "-c", command + " -s -o /dev/null -w '%{http_code}'"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, (command, done.stderr)
    return done.stdout.strip()
