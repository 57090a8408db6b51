"""Hardening: an event's capacity holds under concurrent registrations, on SQLite and PostgreSQL.

For each database the module runs on a `kagibag serve` of its own (the `backend` fixture: SQLite in
a temporary directory, then a database in a throwaway PostgreSQL 15 cluster), makes an event with
capacity 500, and lets 50 concurrent clients (threads, one keep-alive requests.Session each,
support.load.register_concurrently) register attendees for at most 20 s. Most emails are unique;
about one attempt in ten races the other clients for one of a few shared "hot" emails, so that
duplicate registrations are attempted concurrently too.

Then: every 201 must be an attendee in the list (read back through cursor paging) and every
attendee a 201 -- nothing lost, nothing extra --, at most 500 of them, no email twice, no 5xx, no
request without an answer, and every refusal a 409 saying "full" or "already registered". The
counter the server keeps (events.active_attendees) must equal the rows.
"""

from __future__ import annotations

import collections
import uuid

import pytest

from support.api import EVENTS, auth, list_all
from support.http import http
from support.load import (
    CLIENTS,
    DURATION_S,
    HOT_EMAILS,
    REQUEST_TIMEOUT_S,
    active_attendees,
    register_concurrently,
    registration_outcome,
)
from support.web import signed_up_key

pytestmark = pytest.mark.hardening

CAPACITY = 500


def test_capacity_holds_under_50_concurrent_clients(backend):
    name, server, db = backend
    key = signed_up_key(server.url, "Load")
    with http() as s:
        r = s.post(server.url + EVENTS, headers=auth(key), timeout=REQUEST_TIMEOUT_S, json={
            "name": f"Capacity under load ({name})", "starts_at": "2031-06-01T18:00:00Z",
            "ends_at": "2031-06-01T22:00:00Z", "timezone": "UTC", "capacity": CAPACITY,
        })
        assert r.status_code == 201, r.text[:300]
        event_id = r.json()["id"]

        results, errors, seconds = register_concurrently(server.url, key, event_id)

        statuses = collections.Counter(status for status, _, _ in results)
        kinds = collections.Counter(kind for _, kind, _ in results)
        created = [email for status, _, email in results if status == 201]
        attendees = list_all(s, server.url, f"{EVENTS}/{event_id}/attendees", key)
        emails = [a["email"] for a in attendees]
        duplicates = {e: n for e, n in collections.Counter(emails).items() if n > 1}
        hot_created = sorted(e for e in created if e in HOT_EMAILS)
        active = active_attendees(server, db, event_id)
        print(f"\n[{name}] {len(results)} requests in {seconds:.1f}s ({len(results) / seconds:.0f}/s) "
              f"from {CLIENTS} clients: statuses {dict(statuses)}, outcomes {dict(kinds)}; "
              f"{len(created)} created ({len(hot_created)} of them hot emails), {len(attendees)} attendees listed, "
              f"active_attendees={active}, {len(errors)} errors")

        assert not errors, f"{len(errors)} requests failed or got an unexpected answer:\n" + "\n".join(errors[:20]) \
            + f"\nlog:\n{server.log_tail(30)}"
        assert not [st for st in statuses if st >= 500], statuses
        assert len(created) <= CAPACITY, f"capacity exceeded: {len(created)} 201s for {CAPACITY} places"
        assert len(attendees) <= CAPACITY, f"capacity exceeded: {len(attendees)} attendees for {CAPACITY} places"
        assert not duplicates, f"emails registered more than once: {duplicates}"
        assert len(hot_created) == len(set(hot_created)), f"a hot email got two 201s: {hot_created}"
        assert len(attendees) == len(created), f"{len(created)} 201 responses but {len(attendees)} attendees"
        assert sorted(emails) == sorted(created), "the attendees are not exactly the acknowledged registrations"
        assert active == len(attendees), f"events.active_attendees is {active}, but there are {len(attendees)} attendees"
        # The load must really have pushed the event past full, or the test proved little.
        assert len(created) == CAPACITY and kinds["full"] > 0, (
            f"the event did not fill up within {DURATION_S}s ({len(created)}/{CAPACITY}): too slow to test capacity")
        assert kinds["duplicate"] > 0, "no concurrent duplicate was refused: the hot emails never raced"

        # Full stays full, and the server still answers.
        r = s.post(server.url + f"{EVENTS}/{event_id}/attendees", headers=auth(key), timeout=REQUEST_TIMEOUT_S,
                   json={"name": "One too many", "email": f"late-{uuid.uuid4().hex[:8]}@example.com"})
        assert r.status_code == 409 and registration_outcome(r) == "full", (r.status_code, r.text[:300])
        r = s.get(server.url + f"{EVENTS}/{event_id}", headers=auth(key), timeout=REQUEST_TIMEOUT_S)
        assert r.status_code == 200 and r.json()["capacity"] == CAPACITY, r.text[:300]
    assert server.process.poll() is None, f"server exited; log:\n{server.log_tail()}"
