"""Hardening: `kill -9` in the middle of sustained writes loses no acknowledged write.

For SQLite (kagibag.sqlite in WAL mode, in a temporary directory) and for PostgreSQL (a database
in a throwaway 15 cluster; only kagibag is killed, never PostgreSQL), the `crash` fixture runs a
`kagibag serve` of the module's own, lets several writer threads POST events with unique names
(each with its own Idempotency-Key), and SIGKILLs the server about 3 s into it; then it restarts
the server on the same directory / database (support.load). The tests check, without any manual
repair:

  * it comes up (/healthz 200) and takes reads and writes;
  * every event that got a 2xx is listed by the API (cursor paging), none twice, and nothing
    appears that no writer sent;
  * retrying a request that got no answer, with its Idempotency-Key, settles it: 201 (new or
    replayed), and the event then exists exactly once -- also for a request killed after it took
    its key (the key, the event and the stored response commit in one transaction; a
    PostgreSQL-only test parks a request inside that window every time);
  * the database is sound: SQLite `PRAGMA integrity_check` is "ok" (the sqlite3 tool, or Python's
    sqlite3 module if the tool is missing); on PostgreSQL the API's rows match the tables;
  * a graceful SIGTERM exits 0.
"""

from __future__ import annotations

import threading
import uuid

import pytest
import requests

from support.api import EVENTS, auth, events_by_name, list_all
from support.http import http
from support.kagibag import HARDENING_SETTINGS, Kagibag, server_env
from support.load import WRITE_TIMEOUT_S, crash_event_body, post_event
from support.processes import wait_for
from support.sqlite import pragma
from support.web import signed_up_key

pytestmark = pytest.mark.hardening


def test_server_comes_back_after_kill_9_and_takes_reads_and_writes(crash):
    assert crash.server.process.poll() is None
    with http() as s:
        r = s.get(crash.server.url + EVENTS, headers=auth(crash.key), params={"limit": "1"}, timeout=WRITE_TIMEOUT_S)
        assert r.status_code == 200, r.text[:300]
        name = f"After restart {uuid.uuid4().hex[:8]}"
        r = post_event(s, crash.server.url, crash.key, uuid.uuid4().hex, crash_event_body(name))
        assert r.status_code == 201, r.text[:300]
        crash.acked[name] = r.json()
        r = s.get(crash.server.url + f"{EVENTS}/{r.json()['id']}", headers=auth(crash.key), timeout=WRITE_TIMEOUT_S)
        assert r.status_code == 200 and r.json()["name"] == name


def test_every_acknowledged_event_survived_the_kill(crash):
    by_name = events_by_name(crash.server.url, crash.key)
    lost = sorted(name for name in crash.acked if name not in by_name)
    twice = {name: len(v) for name, v in by_name.items() if len(v) > 1}
    phantom = sorted(name for name in by_name if name not in crash.acked and name not in crash.unanswered)
    in_flight_committed = sum(1 for name in crash.unanswered if name in by_name)
    print(f"[{crash.backend}] {len(by_name)} events listed: {len(crash.acked)} acknowledged, "
          f"{in_flight_committed} of {len(crash.unanswered)} in-flight requests committed before the kill")
    assert not lost, f"{len(lost)} acknowledged events lost after kill -9: {lost[:10]}"
    assert not twice, f"events listed more than once: {twice}"
    assert not phantom, f"events nobody sent: {phantom[:10]}"
    for name, body in crash.acked.items():
        (event,) = by_name[name]
        assert event["id"] == body["id"], (name, event, body)


IDEMPOTENCY_BUG = (
    "regression (Services/Idempotency.swift): an Idempotency-Key taken by a request that died with the "
    "server must not stay pending; the key row, the operation and the stored response commit together."
)
STILL_PROCESSING = "still being processed"


def test_retrying_unanswered_requests_with_their_idempotency_key_settles_them(crash):
    """A client whose request died with the server retries it with the same Idempotency-Key
    after the restart, as docs/api.md §6 tells it to: it must get an answer (201, created now or
    replayed), not a 409 "still being processed" for 24 hours, and the event must exist once."""
    assert crash.unanswered, "no request was in flight at the kill"
    committed = events_by_name(crash.server.url, crash.key)
    answers = {}
    with http() as s:
        for name, (idem, body) in crash.unanswered.items():
            r = post_event(s, crash.server.url, crash.key, idem, body)
            answers[name] = (r.status_code, r.headers.get("Idempotent-Replayed"), r.text[:120])
    print(f"[{crash.backend}] retries of the in-flight requests: "
          + "; ".join(f"{status} replayed={rep}" for status, rep, _ in answers.values()))
    stuck = {n: a for n, a in answers.items() if a[0] != 201}
    report = (f"{len(stuck)} of {len(answers)} requests in flight at the kill cannot be retried after the restart:\n"
              + "\n".join(f"{n} (event {'exists' if n in committed else 'absent'}): {a}" for n, a in stuck.items()))
    assert not stuck, report + "\n" + IDEMPOTENCY_BUG
    by_name = events_by_name(crash.server.url, crash.key)
    for name in crash.unanswered:
        assert len(by_name.get(name, [])) == 1, f"{name}: {len(by_name.get(name, []))} events after the retry"


def test_database_is_sound_after_the_kill(crash):
    if crash.backend == "sqlite":
        result = pragma(crash.server.sqlite_path, "PRAGMA integrity_check")
        assert result == "ok", f"PRAGMA integrity_check after kill -9: {result}"
        assert pragma(crash.server.sqlite_path, "PRAGMA foreign_key_check") == "", "foreign key violations"
        assert pragma(crash.server.sqlite_path, "PRAGMA journal_mode") == "wal"
    else:
        count = int(crash.db.psql("SELECT count(*) FROM events"))
        listed = sum(len(v) for v in events_by_name(crash.server.url, crash.key).values())
        assert count == listed, "API and table disagree"
        assert crash.db.psql("SELECT count(*) FROM pg_prepared_xacts") == "0"
        # Nothing left holding a lock: the killed instance's connections are gone.
        assert crash.db.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") == "0"


def test_graceful_sigterm_exits_0(crash):
    code = crash.server.terminate(timeout=30)
    assert code == 0, f"kagibag exited {code} on SIGTERM; log:\n{crash.server.log_tail()}"
    if crash.backend == "sqlite":
        assert pragma(crash.server.sqlite_path, "PRAGMA integrity_check") == "ok"


def test_a_request_killed_after_taking_its_idempotency_key_can_be_retried(postgres, tmp_path):
    """The deterministic form of the test above, on PostgreSQL: an ACCESS EXCLUSIVE lock on
    `events` (held by a psql session) parks a POST between "key taken" (its idempotency_keys row
    inserted, in the request's open transaction) and "event inserted"; kill -9 there, release the
    lock, restart, retry."""
    db = postgres.new_database("idem")
    server = Kagibag(tmp_path / "server", server_env(**HARDENING_SETTINGS, DATABASE_URL=db.url))
    holder = None
    try:
        server.start()
        key = signed_up_key(server.url, "Idempotency")
        holder = db.session()
        holder.stdin.write("BEGIN;\nLOCK TABLE events IN ACCESS EXCLUSIVE MODE;\n")
        holder.stdin.flush()
        wait_for(lambda: db.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                 "WHERE c.relname = 'events' AND l.mode = 'AccessExclusiveLock' AND l.granted")
                 == "1", "the lock on events")
        idem, name = uuid.uuid4().hex, f"Parked {uuid.uuid4().hex[:8]}"
        body = crash_event_body(name)
        answer: list = []

        def post() -> None:
            try:
                answer.append(post_event(http(), server.url, key, idem, body).status_code)
            except requests.RequestException as e:
                answer.append(repr(e))

        t = threading.Thread(target=post, daemon=True)
        t.start()
        # Parked: a backend of the server waits for the lock on events inside its transaction.
        wait_for(lambda: db.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'idem' "
                                 "AND wait_event_type = 'Lock' AND state = 'active'") == "1",
                 "the request parked on the lock")
        server.kill9()
        t.join(timeout=30)
        assert answer and not isinstance(answer[0], int), f"the parked request was answered: {answer}"
        holder.communicate("ROLLBACK;\n", timeout=30)  # release the lock
        holder = None
        server.start()
        with http() as s:
            # PostgreSQL runs the parked INSERT once the lock goes, but inside the request's
            # transaction, which dies uncommitted with its client: the event should be absent.
            before = [e for e in list_all(s, server.url, EVENTS, key) if e["name"] == name]
            r = post_event(s, server.url, key, idem, body)
            assert not (r.status_code == 409 and STILL_PROCESSING in r.text), IDEMPOTENCY_BUG
            assert r.status_code == 201, f"retry after the restart: {r.status_code} {r.text[:200]}"
            assert r.json()["name"] == name
            after = [e for e in list_all(s, server.url, EVENTS, key) if e["name"] == name]
        assert len(before) in (0, 1) and len(after) == 1, (len(before), len(after))
        assert after[0]["id"] == r.json()["id"]
    finally:
        if holder is not None:
            holder.kill()  # our own psql; ends its transaction and the lock
            holder.wait(timeout=10)
        server.stop()
