"""The clients of the hardening tests: registrations racing for an event's places
(test_capacity_under_load), event writers cut off by kill -9 (test_crash_recovery), and an
anonymous sign-up and login burst while an integration polls (test_abuse)."""

from __future__ import annotations

import collections
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field

import requests

from support.api import EVENTS, auth, event
from support.http import http
from support.kagibag import Kagibag
from support.postgres import Database
from support import sqlite
from support.web import WebClient, new_user, signed_up_key

REQUEST_TIMEOUT_S = 60

# --- registrations racing for an event's places --------------------------------------------------

CLIENTS = 50
DURATION_S = 20  # upper bound of the load phase; it ends sooner once every client has seen "full"
FULL_RESPONSES_TO_STOP = 3  # a client stops after this many "full" answers
HOT_EMAILS = [f"hot-{n}@example.com" for n in range(15)]
HOT_SHARE = 0.1


def registration_outcome(r: requests.Response) -> str:
    """created, full, duplicate, 409 (other), or the status of any other answer."""
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


def register_concurrently(base: str, key: str, event_id: str) -> tuple[list[tuple[int, str, str]], list[str], float]:
    """CLIENTS threads, one keep-alive session each, register attendees for at most DURATION_S;
    about one attempt in ten (HOT_SHARE) races the others for one of HOT_EMAILS.
    Returns ([(status, outcome, email)], [transport errors and unexpected answers], seconds)."""
    path = f"{EVENTS}/{event_id}/attendees"
    results: list[tuple[int, str, str]] = []
    errors: list[str] = []
    lock = threading.Lock()
    # The main thread waits at the barrier too: it releases the clients only after it has set the
    # deadline (with CLIENTS parties, the last client could pass before it was set, and every
    # client saw a deadline of 0 and sent nothing).
    start = threading.Barrier(CLIENTS + 1)
    deadline = [0.0]

    def client(n: int) -> None:
        rng = random.Random(n)
        s = http()
        full_seen = 0
        start.wait(timeout=60)
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
            kind = registration_outcome(r)
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
    deadline[0] = began + DURATION_S
    start.wait(timeout=60)
    for t in threads:
        t.join(timeout=DURATION_S + REQUEST_TIMEOUT_S + 30)
    stuck = [t for t in threads if t.is_alive()]
    assert not stuck, f"{len(stuck)} clients still running after the deadline"
    return results, errors, time.monotonic() - began


def active_attendees(server: Kagibag, db: Database | None, event_id: str) -> int:
    """The counter the server keeps, events.active_attendees, read from its database."""
    if db is not None:
        return int(db.psql(f"SELECT active_attendees FROM events WHERE id = '{event_id}'"))
    return sqlite.active_attendees(server.sqlite_path, event_id)


# --- writers cut off by kill -9 -------------------------------------------------------------------

WRITERS = 6
KILL_AFTER_S = 3.0
WRITE_TIMEOUT_S = 30


@dataclass
class Crash:
    backend: str
    server: Kagibag
    db: Database | None
    key: str
    acked: dict[str, dict] = field(default_factory=dict)  # name -> 2xx body
    unanswered: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # name -> (idempotency key, body)
    refused: list[str] = field(default_factory=list)  # answers that were neither 2xx nor expected
    restart_seconds: float = 0.0
    sent_before_kill: int = 0


def crash_event_body(name: str) -> bytes:
    """The exact bytes of an event POST, so that a retry sends the very same request."""
    return json.dumps(event(name, starts_at="2031-07-01T18:00:00Z", ends_at="2031-07-01T20:00:00Z",
                            timezone="UTC", capacity=100), separators=(",", ":")).encode()


def post_event(s: requests.Session, base: str, key: str, idem: str, body: bytes) -> requests.Response:
    return s.post(base + EVENTS, data=body, timeout=WRITE_TIMEOUT_S,
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
            idem, body = uuid.uuid4().hex, crash_event_body(name)
            try:
                r = post_event(s, base, key, idem, body)
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
        t.join(timeout=WRITE_TIMEOUT_S + 10)
    assert not [t for t in threads if t.is_alive()], "writers still running after the kill"


def killed_during_writes_and_restarted(backend: str, server: Kagibag, db: Database | None) -> Crash:
    """WRITERS threads POST events with unique names (each with its own Idempotency-Key); the
    server is SIGKILLed KILL_AFTER_S into it, then started again on the same directory and
    database, with no repair step in between."""
    c = Crash(backend, server, db, signed_up_key(server.url, "Crash"))
    _write_until_killed(c)
    print(f"\n[{c.backend}] killed -9 after {KILL_AFTER_S}s: {len(c.acked)} events acknowledged, "
          f"{len(c.unanswered)} requests in flight, {len(c.refused)} refused")
    assert not c.refused, "writes refused before the kill:\n" + "\n".join(c.refused[:10])
    assert len(c.acked) >= 10, f"only {len(c.acked)} writes acknowledged before the kill: too few to prove much"
    server.start(wait=False)  # same directory, same database; no repair step in between
    c.restart_seconds = server.wait_healthy()
    print(f"[{c.backend}] restarted: /healthz 200 after {c.restart_seconds:.1f}s")
    return c


# --- an anonymous burst while an integration polls -----------------------------------------------

POLL_INTERVAL_S = 0.05


@dataclass
class Burst:
    signups: list[tuple[int, str | None]] = field(default_factory=list)  # (status, Retry-After)
    logins: list[tuple[int, str | None]] = field(default_factory=list)
    polls: list[tuple[int, float]] = field(default_factory=list)  # (status, seconds)
    errors: list[str] = field(default_factory=list)  # requests without an answer
    seconds: float = 0.0  # from the first burst request to the last answer

    def summary(self) -> str:
        def count(answers: list[tuple[int, str | None]]) -> str:
            statuses = collections.Counter(status for status, _ in answers)
            return ", ".join(f"{n} x {status}" for status, n in sorted(statuses.items()))
        latencies = sorted(seconds for _, seconds in self.polls)
        median = latencies[len(latencies) // 2] if latencies else 0
        return (f"{len(self.signups)} sign-ups ({count(self.signups)}), {len(self.logins)} failed logins "
                f"({count(self.logins)}) in {self.seconds:.1f}s; {len(self.polls)} polls, "
                f"median {median * 1000:.0f} ms, max {max(latencies, default=0) * 1000:.0f} ms")


def anonymous_burst(base: str, key: str, signups: int = 60, logins: int = 45) -> Burst:
    """`signups` concurrent sign-ups and `logins` concurrent failed logins (unknown emails, one
    address), each from a client that has loaded its form first, while one integration polls the
    events list with `key` every POLL_INTERVAL_S, from before the burst until a second after it."""
    burst = Burst()
    lock = threading.Lock()
    signup_clients = []
    for _ in range(signups):
        web = WebClient()
        _, csrf = web.form(base, "/signup")
        signup_clients.append((web, csrf, new_user("burst")))
    login_clients = []
    for n in range(logins):
        web = WebClient()
        _, csrf = web.form(base, "/login")
        login_clients.append((web, csrf, f"nobody-{n}-{uuid.uuid4().hex[:6]}@example.com"))

    stop = threading.Event()

    def poll() -> None:
        s = http()
        while not stop.is_set():
            started = time.monotonic()
            try:
                r = s.get(base + EVENTS, headers=auth(key), timeout=REQUEST_TIMEOUT_S)
                with lock:
                    burst.polls.append((r.status_code, time.monotonic() - started))
            except requests.RequestException as e:
                with lock:
                    burst.errors.append(f"poll: {e!r}")
            time.sleep(POLL_INTERVAL_S)
        s.close()

    gate = threading.Barrier(signups + logins + 1)

    def answer(r: requests.Response) -> tuple[int, str | None]:
        return r.status_code, r.headers.get("Retry-After")

    def sign_up(web: WebClient, csrf: str, user) -> None:
        gate.wait()
        form = {"name": user.name, "email": user.email, "password": user.password, "team": user.team, "_csrf": csrf}
        try:
            result = answer(web.post(base, "/signup", form))
            with lock:
                burst.signups.append(result)
        except requests.RequestException as e:
            with lock:
                burst.errors.append(f"sign-up: {e!r}")

    def fail_login(web: WebClient, csrf: str, email: str) -> None:
        gate.wait()
        try:
            result = answer(web.post(base, "/login", {"email": email, "password": "wrong password!", "_csrf": csrf}))
            with lock:
                burst.logins.append(result)
        except requests.RequestException as e:
            with lock:
                burst.errors.append(f"login: {e!r}")

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    time.sleep(0.5)  # polls before the burst: the baseline
    threads = [threading.Thread(target=sign_up, args=c, daemon=True) for c in signup_clients]
    threads += [threading.Thread(target=fail_login, args=c, daemon=True) for c in login_clients]
    for t in threads:
        t.start()
    gate.wait()
    began = time.monotonic()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S + 30)
    burst.seconds = time.monotonic() - began
    time.sleep(1.0)  # and after it
    stop.set()
    poller.join(timeout=REQUEST_TIMEOUT_S + 10)
    assert not [t for t in threads if t.is_alive()], "burst clients still running after the deadline"
    return burst


# --- concurrent logins --------------------------------------------------------------------------


def concurrent_logins(base: str, attempts: list[tuple[str, str]]) -> list[tuple[int, str | None]]:
    """Every (email, password) attempt at the same moment, each from a client that loaded the login
    form first; returns (status, Retry-After) per attempt (fails if any got no answer)."""
    clients = []
    for email, password in attempts:
        web = WebClient()
        _, csrf = web.form(base, "/login")
        clients.append((web, {"email": email, "password": password, "_csrf": csrf}))
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(clients))

    errors: list[str] = []

    def attempt(web: WebClient, form: dict[str, str]) -> None:
        gate.wait()
        try:
            r = web.post(base, "/login", form)
        except requests.RequestException as e:
            with lock:
                errors.append(repr(e))
            return
        with lock:
            results.append((r.status_code, r.headers.get("Retry-After")))

    threads = [threading.Thread(target=attempt, args=c, daemon=True) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S * 2)
    assert not [t for t in threads if t.is_alive()], "login clients still running after the deadline"
    assert not errors, f"{len(errors)} logins got no answer: {errors[:3]}"
    return results


# --- member changes racing a removal ------------------------------------------------------------


def additions_racing_a_removal(base: str, adder, emails: list[str], remover, remove_path: str,
                               delay: float = 0.05) -> list[tuple[str, int]]:
    """`adder` (a WebClient on its Team page) adds every address in `emails` at the same moment,
    while `remover` posts `remove_path` `delay` seconds into the burst; returns (kind, status)."""
    _, adder_csrf = adder.form(base, "/admin/team")
    _, remover_csrf = remover.form(base, "/admin/team")
    statuses: list[tuple[str, int]] = []
    lock = threading.Lock()
    gate = threading.Barrier(len(emails) + 1)

    def add(email: str) -> None:
        gate.wait()
        r = adder.post(base, "/admin/team/members", {"email": email, "role": "admin", "_csrf": adder_csrf})
        with lock:
            statuses.append(("add", r.status_code))

    def remove() -> None:
        gate.wait()
        time.sleep(delay)
        r = remover.post(base, remove_path, {"_csrf": remover_csrf, "confirmed": "yes"})
        with lock:
            statuses.append(("remove", r.status_code))

    threads = [threading.Thread(target=add, args=(e,), daemon=True) for e in emails]
    threads.append(threading.Thread(target=remove, daemon=True))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=REQUEST_TIMEOUT_S * 2)
    return statuses
