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
    from kagibag_generated_client.models.key_info_granted_type_0 import KeyInfoGrantedType0
    from kagibag_generated_client.models.key_info_events_type_0 import KeyInfoEventsType0

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

    info = get_key_info.sync(client=client(team_key))
    assert isinstance(info, KeyInfo), info
    assert isinstance(info.granted, KeyInfoGrantedType0) and info.granted.value == "team"
    assert isinstance(info.events, KeyInfoEventsType0) and info.events.value == "all"

    info = get_key_info.sync(client=client(narrowed))
    assert isinstance(info, KeyInfo), info
    assert [p.value for p in info.granted] == ["events:read"]
    assert [str(e) for e in info.events] == [reached]
    assert [p.value for p in info.permissions] == ["events:read"]

    page = list_events.sync(client=client(narrowed))
    assert [e.name for e in page.data] == ["Reached"]

    from kagibag_generated_client.models import EventCreate
    refused = create_event.sync_detailed(client=client(narrowed), body=EventCreate.from_dict(event("Refused")))
    assert refused.status_code == 403
    assert isinstance(refused.parsed, Problem) and refused.parsed.status == 403, refused.content
