"""A client generated from our openapi.json by someone else's tool (openapi-python-client) works against the
real server: it parses every answer of the calls an integration makes, including the "word or list" fields of
`GET /key` (`granted`, `events`) that once made its generated model crash for any narrowed key."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from support.api import EVENTS, call_api, event
from support.web import signed_up_client

PACKAGE = "kagibag_generated_client"
SPEC = Path(__file__).resolve().parent.parent / "Sources/App/Resources/openapi.json"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory):
    """The package openapi-python-client generates from openapi.json, imported."""
    out = tmp_path_factory.mktemp("generated")
    tool = Path(sys.executable).parent / "openapi-python-client"
    done = subprocess.run([str(tool), "generate", "--path", str(SPEC), "--meta", "none", "--output-path",
                           str(out / PACKAGE)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))


def test_a_generated_client_reads_key_info_of_a_team_key_and_of_a_narrowed_event_scoped_key(server, generated):
    from kagibag_generated_client.api.keys import get_key_info
    from kagibag_generated_client.api.events import create_event, list_events
    from kagibag_generated_client.models import KeyInfo, Problem

    web, team_key, _ = signed_up_client(server.url, "Generated client")
    created = call_api(server.url, team_key, EVENTS, "POST", json=event("Reached"))
    assert created.status_code == 201, created.text
    call_api(server.url, team_key, EVENTS, "POST", json=event("Not reached"))
    reached = created.json()["id"]
    narrowed, _ = web.create_key(server.url, "Door", **{
        "permission_choice": "only", "permissions[]": "events:read",
        "event_choice": "only", "events[]": reached})

    def client(key: str):
        return generated.AuthenticatedClient(base_url=server.url, token=key, raise_on_unexpected_status=True)

    # The narrowed key first: the contract #27 was filed against made this call raise (its model
    # for `granted` took only the word "team").
    info = get_key_info.sync(client=client(narrowed))
    assert isinstance(info, KeyInfo), info
    assert [p.value for p in info.granted] == ["events:read"]
    assert [str(e) for e in info.events] == [reached]
    assert [p.value for p in info.permissions] == ["events:read"]

    from kagibag_generated_client.models.key_info_events_type_0 import KeyInfoEventsType0
    from kagibag_generated_client.models.key_info_granted_type_0 import KeyInfoGrantedType0

    info = get_key_info.sync(client=client(team_key))
    assert isinstance(info, KeyInfo), info
    assert isinstance(info.granted, KeyInfoGrantedType0) and info.granted.value == "team"
    assert isinstance(info.events, KeyInfoEventsType0) and info.events.value == "all"

    page = list_events.sync(client=client(narrowed))
    assert [e.name for e in page.data] == ["Reached"]

    from kagibag_generated_client.models import EventCreate
    refused = create_event.sync_detailed(client=client(narrowed), body=EventCreate.from_dict(event("Refused")))
    assert refused.status_code == 403
    assert isinstance(refused.parsed, Problem) and refused.parsed.status == 403, refused.content


def test_a_generated_client_runs_a_whole_sync_and_parses_every_refusal_as_a_problem(server, generated):
    """Issue 27, part 2: an integration's night written with the generated client in strict mode
    (an undocumented status raises; a body its models cannot read raises): page through every
    event, create and change one (with If-Match, and a stale one refused), register attendees,
    retry a registration with an Idempotency-Key, read the key's usage and recent requests, roll
    the key itself; and read 401, 403, 404, 409, 412, 422 and 429 as Problems with their types."""
    import uuid as uuid_
    from kagibag_generated_client import AuthenticatedClient
    from kagibag_generated_client.api.attendees import check_in_attendee, create_attendee
    from kagibag_generated_client.api.events import create_event, get_event, list_events, update_event
    from kagibag_generated_client.api.keys import get_key_info, get_key_requests, get_key_usage, roll_key
    from kagibag_generated_client.models import (
        Attendee, AttendeeCreate, CheckIn, Event, EventCreate, EventPatch, KeyRequests, KeyRoll, KeyUsage, Problem,
        RolledKey,
    )

    web, key, _ = signed_up_client(server.url, "Nightly sync")
    rolling, _ = web.create_key(server.url, "Self-rolling", may_roll_itself="on")

    def client(token: str) -> AuthenticatedClient:
        return generated.AuthenticatedClient(base_url=server.url, token=token, raise_on_unexpected_status=True)

    api = client(key)
    made = []
    for n in range(5):
        answer = create_event.sync_detailed(client=api, body=EventCreate.from_dict(event(f"Night {n}")))
        assert answer.status_code == 201 and isinstance(answer.parsed, Event), answer.content
        made.append(str(answer.parsed.id))
    seen, cursor = [], None
    while True:
        page = list_events.sync(client=api, limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [str(e.id) for e in page.data]
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert seen == made

    first = get_event.sync_detailed(event_id=uuid_.UUID(made[0]), client=api)
    tag = first.headers["ETag"]
    changed = update_event.sync_detailed(event_id=uuid_.UUID(made[0]), client=api, if_match=tag,
                                         body=EventPatch.from_dict({"venue": "Hall 2"}))
    assert changed.status_code == 200 and changed.parsed.venue == "Hall 2", changed.content
    stale = update_event.sync_detailed(event_id=uuid_.UUID(made[0]), client=api, if_match=tag,
                                       body=EventPatch.from_dict({"venue": "Hall 3"}))
    assert stale.status_code == 412 and isinstance(stale.parsed, Problem), stale.content
    assert stale.parsed.type_ == "/docs/api#precondition-failed"

    event_id = uuid_.UUID(made[0])
    idem = str(uuid_.uuid4())
    ada = AttendeeCreate.from_dict({"name": "Ada", "email": "ada@example.com"})
    once = create_attendee.sync_detailed(event_id=event_id, client=api, body=ada, idempotency_key=idem)
    again = create_attendee.sync_detailed(event_id=event_id, client=api, body=ada, idempotency_key=idem)
    assert once.status_code == again.status_code == 201 and isinstance(again.parsed, Attendee)
    assert once.parsed.id == again.parsed.id and again.headers.get("Idempotent-Replayed") == "true"
    twice = create_attendee.sync_detailed(event_id=event_id, client=api, body=ada)
    assert twice.status_code == 409 and twice.parsed.type_ == "/docs/api#conflict", twice.content
    invalid = create_attendee.sync_detailed(
        event_id=event_id, client=api, body=AttendeeCreate.from_dict({"name": "Bo", "email": "not an address"}))
    assert invalid.status_code == 422 and invalid.parsed.type_ == "/docs/api#invalid", invalid.content
    missing = get_event.sync_detailed(event_id=uuid_.uuid4(), client=api)
    assert missing.status_code == 404 and missing.parsed.type_ == "/docs/api#not-found", missing.content

    usage = get_key_usage.sync(client=api, days=7)
    assert isinstance(usage, KeyUsage) and len(usage.days) == 7
    requests_ = get_key_requests.sync(client=api, status="4xx")
    assert isinstance(requests_, KeyRequests)
    assert {r.status for r in requests_.data} >= {404, 409, 412, 422}, [r.status for r in requests_.data]

    unknown = get_key_info.sync_detailed(client=client("kgb_" + "A" * 46))
    assert unknown.status_code == 401 and unknown.parsed.type_ == "/docs/api#invalid-key", unknown.content
    not_allowed = roll_key.sync_detailed(client=api, body=KeyRoll.from_dict({}))
    assert not_allowed.status_code == 403 and isinstance(not_allowed.parsed, Problem), not_allowed.content
    rolled = roll_key.sync_detailed(client=client(rolling), body=KeyRoll.from_dict({"grace_seconds": 0}))
    assert rolled.status_code == 201 and isinstance(rolled.parsed, RolledKey), rolled.content
    assert get_key_info.sync(client=client(rolled.parsed.key)).name == "Self-rolling"

    # A door's guesses: unknown ticket codes count against the key; past the limit, 429.
    limited = None
    for n in range(40):
        answer = check_in_attendee.sync_detailed(event_id=event_id, client=api,
                                                 body=CheckIn.from_dict({"ticket_code": f"ZZZZZZZZ{n:04d}"}))
        if answer.status_code == 429:
            limited = answer
            break
        assert answer.status_code in (404, 422), answer.content
    assert limited is not None and limited.parsed.type_ == "/docs/api#rate-limited", limited
    assert limited.headers.get("Retry-After")
