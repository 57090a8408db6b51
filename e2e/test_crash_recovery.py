"""Hardening: `kill -9` in the middle of sustained writes loses no acknowledged write.

Self-contained: for SQLite (kagibag.sqlite in WAL mode, in a temporary directory) and for
PostgreSQL (a throwaway 15 cluster; only kagibag is killed, never PostgreSQL), this module starts
its own `kagibag serve`, lets several writer threads POST events with unique names (each with
its own Idempotency-Key), and SIGKILLs the server about 3 s into it. Then it restarts the server
on the same directory / database and checks, without any manual repair:

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

import collections
import json
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

from hardening_support import (
    EVENTS,
    PG_BIN,
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

WRITERS = 6
KILL_AFTER_S = 3.0
REQUEST_TIMEOUT_S = 30


@dataclass
class Crash:
    backend: str
    server: Kagibag
    pg: Postgres | None
    key: str
    acked: dict[str, dict] = field(default_factory=dict)  # name -> 2xx body
    unanswered: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (idempotency key, body)
    refused: list[str] = field(default_factory=list)  # answers that were neither 2xx nor expected
    restart_seconds: float = 0.0
    sent_before_kill: int = 0


def _event_body(name: str) -> bytes:
    return json.dumps({"name": name, "starts_at": "2031-07-01T18:00:00Z", "ends_at": "2031-07-01T20:00:00Z",
                       "timezone": "UTC", "capacity": 100}, separators=(",", ":")).encode()


def _post_event(s: requests.Session, base: str, key: str, idem: str, body: bytes) -> requests.Response:
    return s.post(base + EVENTS, data=body, timeout=REQUEST_TIMEOUT_S,
                  headers={**auth(key), "Content-Type": "application/json", "Idempotency-Key": idem})


def _write_until_killed(crash: Crash) -> None:
    base, key = crash.server.url, crash.key
    lock = threading.Lock()
    stop = threading.Event()
    started = threading.Barrier(WRITERS + 1)

    def writer(n: int) -> None:
        s = http()
        started.wait()
        i = 0
        while not stop.is_set():
            i += 1
            name = f"Crash {crash.backend} w{n} #{i} {uuid.uuid4().hex[:8]}"
            idem, body = uuid.uuid4().hex, _event_body(name)
            try:
                r = _post_event(s, base, key, idem, body)
            except requests.RequestException:
                with lock:
                    crash.unanswered[name] = (idem, body)
                return  # the server is gone
            with lock:
                if 200 <= r.status_code < 300:
                    crash.acked[name] = r.json()
                else:
                    crash.refused.append(f"{name}: {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(WRITERS)]
    for t in threads:
        t.start()
    started.wait()
    time.sleep(KILL_AFTER_S)
    with lock:
        crash.sent_before_kill = len(crash.acked) + len(crash.refused)
    crash.server.kill9()  # in the middle of the writes: every writer has a request in flight
    stop.set()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S + 10)
    assert not [t for t in threads if t.is_alive()], "writers still running after the kill"


@pytest.fixture(scope="module")
def pg_cluster():
    """One throwaway PostgreSQL cluster for the module; each scenario gets its own database."""
    d = work_dir("kagibag-crash-pg-")
    pg = Postgres(d / "pg")
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
        remove_work_dir(d)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def crash(request):
    d = work_dir(f"kagibag-crash-{request.param}-")
    pg: Postgres | None = None
    server: Kagibag | None = None
    try:
        if request.param == "postgres":
            pg = request.getfixturevalue("pg_cluster")
            server = Kagibag(d / "server", server_env(pg.new_database("crash")))
        else:
            server = Kagibag(d / "server", server_env())
        server.start()
        c = Crash(request.param, server, pg, signed_up_key(server.url, "Crash"))
        _write_until_killed(c)
        print(f"\n[{c.backend}] killed -9 after {KILL_AFTER_S}s: {len(c.acked)} events acknowledged, "
              f"{len(c.unanswered)} requests in flight, {len(c.refused)} refused")
        assert not c.refused, "writes refused before the kill:\n" + "\n".join(c.refused[:10])
        assert len(c.acked) >= 10, f"only {len(c.acked)} writes acknowledged before the kill: too few to prove much"
        server.start(wait=False)  # same directory, same database; no repair step in between
        c.restart_seconds = server.wait_healthy()
        print(f"[{c.backend}] restarted: /healthz 200 after {c.restart_seconds:.1f}s")
        yield c
    finally:
        if server:
            server.stop()
        remove_work_dir(d)


def _events_by_name(crash: Crash) -> dict[str, list[dict]]:
    with http() as s:
        events = list_all(s, crash.server.url, EVENTS, crash.key)
    by_name: dict[str, list[dict]] = collections.defaultdict(list)
    for e in events:
        by_name[e["name"]].append(e)
    return by_name


def test_server_comes_back_after_kill_9_and_takes_reads_and_writes(crash):
    assert crash.server.process.poll() is None
    with http() as s:
        r = s.get(crash.server.url + EVENTS, headers=auth(crash.key), params={"limit": "1"}, timeout=REQUEST_TIMEOUT_S)
        assert r.status_code == 200, r.text[:300]
        name = f"After restart {uuid.uuid4().hex[:8]}"
        r = _post_event(s, crash.server.url, crash.key, uuid.uuid4().hex, _event_body(name))
        assert r.status_code == 201, r.text[:300]
        crash.acked[name] = r.json()
        r = s.get(crash.server.url + f"{EVENTS}/{r.json()['id']}", headers=auth(crash.key), timeout=REQUEST_TIMEOUT_S)
        assert r.status_code == 200 and r.json()["name"] == name


def test_every_acknowledged_event_survived_the_kill(crash):
    by_name = _events_by_name(crash)
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
    committed = _events_by_name(crash)
    answers = {}
    with http() as s:
        for name, (idem, body) in crash.unanswered.items():
            r = _post_event(s, crash.server.url, crash.key, idem, body)
            answers[name] = (r.status_code, r.headers.get("Idempotent-Replayed"), r.text[:120])
    print(f"[{crash.backend}] retries of the in-flight requests: "
          + "; ".join(f"{status} replayed={rep}" for status, rep, _ in answers.values()))
    stuck = {n: a for n, a in answers.items() if a[0] != 201}
    report = (f"{len(stuck)} of {len(answers)} requests in flight at the kill cannot be retried after the restart:\n"
              + "\n".join(f"{n} (event {'exists' if n in committed else 'absent'}): {a}" for n, a in stuck.items()))
    assert not stuck, report + "\n" + IDEMPOTENCY_BUG
    by_name = _events_by_name(crash)
    for name in crash.unanswered:
        assert len(by_name.get(name, [])) == 1, f"{name}: {len(by_name.get(name, []))} events after the retry"


def test_database_is_sound_after_the_kill(crash):
    if crash.backend == "sqlite":
        result = _sqlite_check(crash.server, "PRAGMA integrity_check")
        assert result == "ok", f"PRAGMA integrity_check after kill -9: {result}"
        assert _sqlite_check(crash.server, "PRAGMA foreign_key_check") == "", "foreign key violations"
        assert _sqlite_check(crash.server, "PRAGMA journal_mode") == "wal"
    else:
        count = int(crash.pg.psql("SELECT count(*) FROM events", db="crash"))
        assert count == sum(len(v) for v in _events_by_name(crash).values()), "API and table disagree"
        assert crash.pg.psql("SELECT count(*) FROM pg_prepared_xacts", db="crash") == "0"
        # Nothing left holding a lock: the killed instance's connections are gone.
        assert crash.pg.psql("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", db="crash") == "0"


def test_graceful_sigterm_exits_0(crash):
    code = crash.server.terminate(timeout=30)
    assert code == 0, f"kagibag exited {code} on SIGTERM; log:\n{crash.server.log_tail()}"
    if crash.backend == "sqlite":
        assert _sqlite_check(crash.server, "PRAGMA integrity_check") == "ok"


def _sqlite_check(server: Kagibag, pragma: str) -> str:
    """Runs `pragma` on the server's SQLite file with the sqlite3 tool (Python's module if missing)."""
    tool = shutil.which("sqlite3")
    if tool:
        run = subprocess.run([tool, str(server.sqlite_path), pragma], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
        assert run.returncode == 0, f"sqlite3 {pragma}: {run.stderr}"
        return run.stdout.strip()
    with sqlite3.connect(str(server.sqlite_path), timeout=30) as db:
        return "\n".join("|".join(str(c) for c in row) for row in db.execute(pragma).fetchall()).strip()


def test_a_request_killed_after_taking_its_idempotency_key_can_be_retried(pg_cluster, tmp_path):
    """The deterministic form of the test above, on PostgreSQL: an ACCESS EXCLUSIVE lock on
    `events` (held by a psql session) parks a POST between "key taken" (its idempotency_keys row
    inserted, in the request's open transaction) and "event inserted"; kill -9 there, release the
    lock, restart, retry."""
    pg = pg_cluster
    server = Kagibag(tmp_path / "server", server_env(pg.new_database("idem")))
    holder = None
    try:
        server.start()
        key = signed_up_key(server.url, "Idempotency")
        holder = subprocess.Popen(
            [str(PG_BIN / "psql"), "-X", "-q", "-At", "-h", "127.0.0.1", "-p", str(pg.port), "-U", "postgres", "-d", "idem"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        holder.stdin.write("BEGIN;\nLOCK TABLE events IN ACCESS EXCLUSIVE MODE;\n")
        holder.stdin.flush()
        _wait_for(lambda: pg.psql("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                                  "WHERE c.relname = 'events' AND l.mode = 'AccessExclusiveLock' AND l.granted",
                                  db="idem") == "1", "the lock on events")
        idem, name = uuid.uuid4().hex, f"Parked {uuid.uuid4().hex[:8]}"
        body = _event_body(name)
        answer: list = []

        def post() -> None:
            try:
                answer.append(_post_event(http(), server.url, key, idem, body).status_code)
            except requests.RequestException as e:
                answer.append(repr(e))

        t = threading.Thread(target=post, daemon=True)
        t.start()
        # Parked: a backend of the server waits for the lock on events inside its transaction.
        _wait_for(lambda: pg.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = 'idem' "
                                  "AND wait_event_type = 'Lock' AND state = 'active'", db="idem") == "1",
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
            r = _post_event(s, server.url, key, idem, body)
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


def _wait_for(predicate, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
