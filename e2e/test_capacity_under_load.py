"""Hardening: an event's capacity holds under concurrent registrations, on SQLite and PostgreSQL.

Self-contained: for each database this module starts its own `kagibag serve` (SQLite in a temporary
directory; PostgreSQL in a throwaway 15 cluster), makes an event with capacity 500, and lets 50
concurrent clients (threads, one keep-alive requests.Session each) register attendees for at
most 20 s. Most emails are unique; about one attempt in ten races the other clients for one of a
few shared "hot" emails, so that duplicate registrations are attempted concurrently too.

Then: every 201 must be an attendee in the list (read back through cursor paging) and every
attendee a 201 -- nothing lost, nothing extra --, at most 500 of them, no email twice, no 5xx, no
request without an answer, and every refusal a 409 saying "full" or "already registered". The
counter the server keeps (events.active_attendees) must equal the rows.
"""

from __future__ import annotations

import collections
import json
import random
import sqlite3
import threading
import time
import uuid

import pytest
import requests

from hardening_support import (
    EVENTS,
    Kagibag,
    Postgres,
    auth,
    http,
    list_all,
    remove_work_dir,
    server_env,
    signed_up_key,
    work_dir,
)

pytestmark = pytest.mark.hardening

CAPACITY = 500
CLIENTS = 50
DURATION_S = 20  # upper bound of the load phase; it ends sooner once every client has seen "full"
FULL_RESPONSES_TO_STOP = 3  # a client stops after this many "full" answers
HOT_EMAILS = [f"hot-{n}@example.com" for n in range(15)]
HOT_SHARE = 0.1
REQUEST_TIMEOUT_S = 60


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request):
    """A running server on the named database: (name, server, postgres or None)."""
    d = work_dir(f"kagibag-capacity-{request.param}-")
    pg: Postgres | None = None
    server: Kagibag | None = None
    try:
        if request.param == "postgres":
            pg = Postgres(d / "pg")
            pg.start()
            server = Kagibag(d / "server", server_env(pg.url("postgres")))
        else:
            server = Kagibag(d / "server", server_env())
        server.start()
        yield request.param, server, pg
    finally:
        if server:
            server.stop()
        if pg:
            pg.stop()
        remove_work_dir(d)


def _kind(r: requests.Response) -> str:
    if r.status_code == 201:
        return "created"
    if r.status_code == 409:
        detail = ""
        try:
            detail = json.dumps(r.json()).lower()
        except ValueError:
            pass
        if "full" in detail:
            return "full"
        if "already registered" in detail:
            return "duplicate"
        return "409 (other)"
    return str(r.status_code)


def _load(base: str, key: str, event_id: str) -> tuple[list[tuple[int, str, str]], list[str], float]:
    """Runs the clients; returns ([(status, kind, email)], [transport errors], seconds)."""
    path = f"{EVENTS}/{event_id}/attendees"
    results: list[tuple[int, str, str]] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS)
    deadline = [0.0]

    def client(n: int) -> None:
        rng = random.Random(n)
        s = http()
        full_seen = 0
        start.wait()
        i = 0
        while time.monotonic() < deadline[0] and full_seen < FULL_RESPONSES_TO_STOP:
            i += 1
            if rng.random() < HOT_SHARE:
                email = rng.choice(HOT_EMAILS)
            else:
                email = f"load-{n}-{i}-{uuid.uuid4().hex[:8]}@example.com"
            try:
                r = s.post(base + path, json={"name": f"Client {n} #{i}", "email": email},
                           headers=auth(key), timeout=REQUEST_TIMEOUT_S)
            except requests.RequestException as e:
                # A request without an answer: we cannot know whether it registered anyone.
                with lock:
                    errors.append(f"client {n} #{i} {email}: {e!r}")
                continue
            kind = _kind(r)
            if kind == "full":
                full_seen += 1
            with lock:
                results.append((r.status_code, kind, email if r.status_code != 201 else r.json()["email"]))
                if r.status_code >= 500 or kind == "409 (other)" or r.status_code not in (201, 409):
                    errors.append(f"client {n} #{i} {email}: {r.status_code} {r.text[:300]}")
        s.close()

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    began = time.monotonic()
    deadline[0] = began + DURATION_S  # set before the barrier releases the last client
    for t in threads:
        t.join(timeout=DURATION_S + REQUEST_TIMEOUT_S + 30)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} clients still running after the deadline"
    return results, errors, time.monotonic() - began


def _active_attendees(name: str, server: Kagibag, pg: Postgres | None, event_id: str) -> int:
    if pg is not None:
        return int(pg.psql(f"SELECT active_attendees FROM events WHERE id = '{event_id}'"))
    with sqlite3.connect(f"file:{server.sqlite_path}?mode=ro", uri=True, timeout=30) as db:
        # UUIDs are stored as 16-byte blobs or text depending on the driver; try both.
        for value in (uuid.UUID(event_id).bytes, event_id, event_id.upper()):
            row = db.execute("SELECT active_attendees FROM events WHERE id = ?", (value,)).fetchone()
            if row:
                return int(row[0])
    raise AssertionError(f"event {event_id} not found in {server.sqlite_path}")


def test_capacity_holds_under_50_concurrent_clients(backend):
    name, server, pg = backend
    key = signed_up_key(server.url, "Load")
    with http() as s:
        r = s.post(server.url + EVENTS, headers=auth(key), timeout=REQUEST_TIMEOUT_S, json={
            "name": f"Capacity under load ({name})", "starts_at": "2031-06-01T18:00:00Z",
            "ends_at": "2031-06-01T22:00:00Z", "timezone": "UTC", "capacity": CAPACITY,
        })
        assert r.status_code == 201, r.text[:300]
        event_id = r.json()["id"]

        results, errors, seconds = _load(server.url, key, event_id)

        statuses = collections.Counter(status for status, _, _ in results)
        kinds = collections.Counter(kind for _, kind, _ in results)
        created = [email for status, _, email in results if status == 201]
        attendees = list_all(s, server.url, f"{EVENTS}/{event_id}/attendees", key)
        emails = [a["email"] for a in attendees]
        duplicates = {e: n for e, n in collections.Counter(emails).items() if n > 1}
        hot_created = sorted(e for e in created if e in HOT_EMAILS)
        active = _active_attendees(name, server, pg, event_id)
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
        assert r.status_code == 409 and _kind(r) == "full", (r.status_code, r.text[:300])
        r = s.get(server.url + f"{EVENTS}/{event_id}", headers=auth(key), timeout=REQUEST_TIMEOUT_S)
        assert r.status_code == 200 and r.json()["capacity"] == CAPACITY, r.text[:300]
    assert server.process.poll() is None, f"server exited; log:\n{server.log_tail()}"
