"""Webhooks on several instances: the outbox is delivered once, in order, and survives kill -9.

The module's own cluster (support/cluster.py: three `kagibag serve --env production` on one
PostgreSQL 15 behind nginx), every instance allowed to send to a plain-http receiver on
127.0.0.1 and polling its outbox every 0.2 s. Each instance runs a delivery worker; an endpoint's
lane (`webhook_endpoints.lane_until`) is held by one instance at a time and lapses 60 s after the
instance holding it died. A ThreadingHTTPServer in the test on 127.0.0.1 answers 204 and records
every delivery; each one is verified with the reference Standard Webhooks library
(`standardwebhooks`), never with our own code.

  * 1,000 API writes spread over the three instances (16 at a time) -- event creations, and 20
    attendees each registered, renamed and cancelled through three different instances -- reach
    the receiver exactly once each, the messages about one attendee in the order they happened.
    The delivery rate is printed (run with -s to see it).
  * During a burst of 500 event creations, the instance delivering to the endpoint is killed -9
    while its delivery is parked unanswered in the receiver; the burst goes on against the other
    two, the killed one is restarted; every event that got a 201 arrives as event.created, the
    parked message again with its webhook-id, and no event under two webhook-ids.
"""

from __future__ import annotations

import collections
import concurrent.futures
import json
import os
import threading
import time
import uuid

import pytest
import requests
from standardwebhooks import Webhook

from support.api import EVENTS, json_headers, event
from support.cluster import running_cluster
from support.http import http
from support.webhooks import WEBHOOK_ID, Delivery, Receiver, add_endpoint

pytestmark = pytest.mark.usefixtures("dump_logs_on_failure")

WEBHOOK_SETTINGS = {
    "KAGIBAG_WEBHOOK_ALLOW_HTTP": "true",
    "KAGIBAG_WEBHOOK_ALLOW_PRIVATE": "true",  # the receiver is on 127.0.0.1
    "KAGIBAG_WEBHOOK_POLL_SECONDS": "0.2",
}
WRITERS = 16
LANE_LAPSE_S = 60  # WebhookWorker.claimFor


@pytest.fixture(scope="module")
def cluster():
    """This module's cluster: the one of docs/deploy.md, with webhooks to a loopback http receiver allowed."""
    with running_cluster(extra_settings=WEBHOOK_SETTINGS) as c:
        yield c


def _socket_owner(peer_port: int, local_port: int, pids: dict[int, str]) -> str | None:
    """Which of `pids` (pid -> name) holds the TCP connection 127.0.0.1:peer_port -> 127.0.0.1:local_port."""
    want_local = f"0100007F:{peer_port:04X}"
    want_remote = f"0100007F:{local_port:04X}"
    inode = None
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want_local and fields[2] == want_remote:
                inode = fields[9]
                break
    if not inode or inode == "0":
        return None
    target = f"socket:[{inode}]"
    for pid, name in pids.items():
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                        return name
                except OSError:
                    continue
        except OSError:
            continue
    return None


class ParkingReceiver(Receiver):
    """Records every POST and answers 204. With `park()`, the next delivery is held unanswered
    (its sender identified among `pids`) until `release()`."""

    keep_alive = True  # as a real receiver behind a load balancer would

    def __init__(self) -> None:
        self.pids: dict[int, str] = {}
        self._park = False
        self.parked: Delivery | None = None
        self.parked_sender: str | None = None
        self.caught = threading.Event()
        self.released = threading.Event()
        super().__init__()

    def holds(self, delivery: Delivery) -> bool:
        if not self._park or self.parked is not None:
            return False
        self.parked = delivery
        delivery.status = 0  # not answered: its sender is killed while it waits
        return True

    def hold(self, delivery: Delivery, sender_port: int, own_port: int) -> None:
        self.parked_sender = _socket_owner(sender_port, own_port, self.pids)
        self.caught.set()
        self.released.wait(timeout=60)

    def park(self, pids: dict[int, str]) -> None:
        self.pids = pids
        with self.lock:
            self._park = True

    def release(self) -> None:
        self.released.set()

    def close(self) -> None:
        self.release()
        super().close()


@pytest.fixture
def receiver():
    r = ParkingReceiver()
    yield r
    r.close()


class Writers:
    """API writes from a pool of threads, each thread with its own session per instance."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.local = threading.local()

    def session(self) -> requests.Session:
        s = getattr(self.local, "s", None)
        if s is None:
            s = self.local.s = http()
        return s

    def request(self, method: str, base: str, path: str, body: dict, timeout: float = 30) -> requests.Response:
        return self.session().request(method, base + path, headers=json_headers(self.key), json=body,
                                      timeout=timeout)


def assert_signed(deliveries: list[Delivery], secret: str) -> None:
    hook = Webhook(secret)
    bad = []
    for d in deliveries:
        assert WEBHOOK_ID.fullmatch(d.id), d.headers
        try:
            hook.verify(d.body, d.headers)
        except Exception as e:  # noqa: BLE001 - every failure is reported below
            bad.append(f"{d.id}: {e!r}")
    assert not bad, f"{len(bad)} of {len(deliveries)} deliveries failed verification: {bad[:5]}"


def wait_until(receiver: ParkingReceiver, done, what: str, timeout: float) -> list[Delivery]:
    deadline = time.monotonic() + timeout
    while True:
        got = receiver.received()
        if done(got):
            return got
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:.0f}s ({len(got)} deliveries, "
                        f"{len({d.id for d in got})} distinct ids)", pytrace=False)
        time.sleep(0.1)


ATTENDEES = 20
EVENT_WRITES = 1000 - 1 - 3 * ATTENDEES  # + the attendees' event + 3 writes per attendee = 1,000 messages


def test_3_instances_and_1000_messages_every_message_is_delivered_exactly_once(cluster, receiver):
    web, key, _ = cluster.signed_up_client("Webhook load")
    a = cluster["a"]
    _, secret = add_endpoint(web, a.url, receiver.url)
    bases = [i.url for i in cluster.instances]
    writers = Writers(key)

    r = writers.request("POST", bases[1], EVENTS, event(f"Attendees' event {uuid.uuid4().hex[:8]}"))
    assert r.status_code == 201, (r.status_code, r.text[:300])
    party = r.json()["id"]
    attendees_path = f"{EVENTS}/{party}/attendees"

    def create(n: int) -> str:
        r = writers.request("POST", bases[n % 3], EVENTS, event(f"Webhook load {n} {uuid.uuid4().hex[:8]}"))
        assert r.status_code == 201, (r.status_code, r.text[:300])
        return r.json()["id"]

    def attendee_life(n: int) -> str:
        """Registered through one instance, renamed through the next, cancelled through the third."""
        r = writers.request("POST", bases[n % 3], attendees_path,
                            {"name": f"Guest {n}", "email": f"guest-{n}-{uuid.uuid4().hex[:6]}@example.com"})
        assert r.status_code == 201, (r.status_code, r.text[:300])
        attendee = r.json()["id"]
        r = writers.request("PATCH", bases[(n + 1) % 3], f"{attendees_path}/{attendee}", {"name": f"Guest {n} (renamed)"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        r = writers.request("PATCH", bases[(n + 2) % 3], f"{attendees_path}/{attendee}", {"status": "cancelled"})
        assert r.status_code == 200, (r.status_code, r.text[:300])
        return attendee

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        # The attendees' lives interleaved with the event creations.
        step = EVENT_WRITES // ATTENDEES
        futures_events, futures_attendees = [], []
        for n in range(EVENT_WRITES):
            futures_events.append(pool.submit(create, n))
            if n % step == 0 and len(futures_attendees) < ATTENDEES:
                futures_attendees.append(pool.submit(attendee_life, len(futures_attendees)))
        event_ids = [f.result() for f in futures_events]
        attendee_ids = [f.result() for f in futures_attendees]
    written = time.monotonic()
    expected = EVENT_WRITES + 1 + 3 * ATTENDEES
    assert expected == 1000 and len(attendee_ids) == ATTENDEES

    got = wait_until(receiver, lambda ds: len({d.id for d in ds}) >= expected,
                     f"{expected} distinct messages delivered", timeout=120)
    time.sleep(2)  # ten polls more: nothing else (no second copy) may follow
    got = receiver.received()

    first, last = got[0].at, max(d.at for d in got)
    span = last - first
    print(f"\n[webhooks cluster] {len(got)} deliveries of {expected} messages: writes took "
          f"{written - started:.1f}s ({expected / (written - started):.0f}/s); deliveries first-to-last "
          f"{span:.1f}s = {len(got) / span:.0f} messages/s; last delivery {last - started:.1f}s after the "
          f"first write, {last - written:.1f}s after the last answer")

    copies = collections.Counter(d.id for d in got)
    twice = {i: n for i, n in copies.items() if n > 1}
    assert not twice, f"{len(twice)} webhook-ids delivered more than once: {list(twice.items())[:10]}"
    assert len(copies) == expected, f"{len(copies)} distinct messages for {expected} writes"

    created = {d.data_id for d in got if d.type == "event.created"}
    missing = set(event_ids) - created
    assert not missing, f"{len(missing)} created events never arrived as event.created: {sorted(missing)[:10]}"
    assert party in created

    by_attendee: dict[str, list[str]] = collections.defaultdict(list)
    for d in sorted(got, key=lambda d: d.seq):
        if d.type.startswith("attendee."):
            by_attendee[d.data_id].append(d.type)
    wrong = {a: by_attendee.get(a) for a in attendee_ids
             if by_attendee.get(a) != ["attendee.registered", "attendee.updated", "attendee.cancelled"]}
    assert not wrong, f"attendees whose messages arrived out of order (or not once each): {wrong}"

    assert_signed(got, secret)


BURST = 500
KILL_AFTER = 150


def test_kill_9_during_a_burst_of_500_writes_loses_no_message(cluster, receiver):
    web, key, _ = cluster.signed_up_client("Webhook burst")
    for instance in cluster.instances:
        instance.ensure_running()
    _, secret = add_endpoint(web, cluster["a"].url, receiver.url)
    writers = Writers(key)
    acked: dict[str, str] = {}  # event id -> name, for every 201
    failed = collections.Counter()
    lock = threading.Lock()
    enough = threading.Event()

    def create(n: int) -> None:
        base = cluster.instances[n % 3].url  # the killed one's requests fail: only 201s count
        name = f"Burst {n} {uuid.uuid4().hex[:8]}"
        try:
            r = writers.request("POST", base, EVENTS, event(name), timeout=20)
        except requests.RequestException as e:
            with lock:
                failed[type(e).__name__] += 1
            return
        with lock:
            if r.status_code == 201:
                acked[r.json()["id"]] = name
                if len(acked) >= KILL_AFTER:
                    enough.set()
            else:
                failed[r.status_code] += 1

    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        futures = [pool.submit(create, n) for n in range(BURST)]
        assert enough.wait(timeout=120), f"fewer than {KILL_AFTER} writes answered 201: {failed}"
        # Kill the instance delivering to the endpoint, while its delivery waits for our answer.
        receiver.park({i.process.pid: i.name for i in cluster.instances})
        assert receiver.caught.wait(timeout=30), "no delivery arrived to park"
        sender = receiver.parked_sender
        assert sender, "could not tell which instance sent the parked delivery"
        victim = cluster[sender]
        victim.kill9()
        killed_at = time.monotonic()
        with lock:
            acked_at_kill = len(acked)
        receiver.release()
        for f in futures:
            f.result()
    victim.start()  # restarted on the same port and database
    with lock:
        acked_ids = set(acked)
    print(f"\n[webhooks cluster] killed instance {victim.name} (the sender) after {acked_at_kill} writes "
          f"answered; {len(acked_ids)} of {BURST} answered 201, others: {dict(failed)}; instance restarted "
          f"{time.monotonic() - killed_at:.1f}s after the kill")
    assert len(acked_ids) > acked_at_kill, "the burst did not go on after the kill"

    def done(ds: list[Delivery]) -> bool:
        return acked_ids <= {d.data_id for d in ds if d.type == "event.created" and d.answered}

    got = wait_until(receiver, done, f"all {len(acked_ids)} acknowledged events delivered as event.created",
                     timeout=LANE_LAPSE_S + 90)
    time.sleep(2)
    got = receiver.received()
    print(f"[webhooks cluster] all delivered {time.monotonic() - killed_at:.1f}s after the kill; "
          f"{len(got)} deliveries, {len({d.id for d in got})} distinct webhook-ids")

    ids_per_event: dict[str, set[str]] = collections.defaultdict(set)
    for d in got:
        if d.type == "event.created":
            ids_per_event[d.data_id].add(d.id)
    split = {e: ids for e, ids in ids_per_event.items() if len(ids) > 1}
    assert not split, f"events delivered under several webhook-ids: {list(split.items())[:10]}"

    parked = receiver.parked
    again = [d for d in got if d.id == parked.id and d.answered]
    assert again, f"the message in flight at the kill ({parked.id}, {parked.type}) never arrived again"

    assert_signed(got, secret)
