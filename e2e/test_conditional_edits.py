"""Two editors at once (#27, part 4): both read an event (or an attendee) with the same ETag and
send their change at the same moment with If-Match; exactly one wins, the other gets 412 with the
current ETag and changed nothing, re-reads and reapplies. Real sockets, real concurrency, on
SQLite and on PostgreSQL (`backend`)."""

from __future__ import annotations

import threading

from support.api import EVENTS, call_api, event
from support.http import http
from support.web import signed_up_client

ROUNDS = 15


def race(base: str, key: str, path: str, changes: list[dict]) -> list:
    """Sends each change as a PATCH with the ETag both editors read, all released at once."""
    with http() as s:
        tag = call_api(base, key, path, session=s).headers["ETag"]
    barrier = threading.Barrier(len(changes))
    answers: list = [None] * len(changes)

    def editor(i: int) -> None:
        with http() as s:
            barrier.wait()
            answers[i] = call_api(base, key, path, "PATCH", session=s, json=changes[i],
                                  headers={"If-Match": tag})

    threads = [threading.Thread(target=editor, args=(i,)) for i in range(len(changes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


def team_with_event(base: str, team: str, name: str) -> tuple[str, str]:
    """A new team's key and the path of an event made with it."""
    _, key, _ = signed_up_client(base, team)
    with http() as s:
        r = call_api(base, key, EVENTS, "POST", session=s, json=event(name))
        assert r.status_code == 201, r.text
    return key, f"{EVENTS}/{r.json()['id']}"


def test_two_editors_of_one_event_cannot_overwrite_each_other_when_they_send_if_match(backend):
    _, srv, _ = backend
    key, path = team_with_event(srv.url, "Editors", "Race week")
    for round_ in range(ROUNDS):
        changes = [{"venue": f"Hall A {round_}"}, {"venue": f"Hall B {round_}"}]
        answers = race(srv.url, key, path, changes)
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 412], [(a.status_code, a.text) for a in answers]
        winner = next(a for a in answers if a.status_code == 200)
        loser = next(a for a in answers if a.status_code == 412)
        assert loser.headers["Content-Type"].startswith("application/problem+json"), loser.headers
        assert loser.headers["ETag"] == winner.headers["ETag"], (loser.headers, winner.headers)
        with http() as s:
            now = call_api(srv.url, key, path, session=s)
            # The winner's change stands; the loser's changed nothing.
            assert now.json()["venue"] == winner.json()["venue"], now.text
            assert now.headers["ETag"] == winner.headers["ETag"]
            # The loser reads again and reapplies: it goes through.
            loser_change = changes[1] if winner.json()["venue"] == changes[0]["venue"] else changes[0]
            again = call_api(srv.url, key, path, "PATCH", session=s, json=loser_change,
                             headers={"If-Match": now.headers["ETag"]})
            assert again.status_code == 200, again.text
            assert again.json()["venue"] == loser_change["venue"]


def test_two_editors_of_one_registration_cannot_overwrite_each_other_when_they_send_if_match(backend):
    _, srv, _ = backend
    key, event_path = team_with_event(srv.url, "Front desk", "Desk week")
    attendees = f"{event_path}/attendees"
    with http() as s:
        r = call_api(srv.url, key, attendees, "POST", session=s,
                     json={"name": "Marta Quispe", "email": "marta@example.com"})
        assert r.status_code == 201, r.text
        path = f"{attendees}/{r.json()['id']}"
    for round_ in range(ROUNDS):
        answers = race(srv.url, key, path, [{"name": f"Marta Q. {round_}"}, {"ticket_type": f"VIP {round_}"}])
        assert sorted(a.status_code for a in answers) == [200, 412], [(a.status_code, a.text) for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()
        with http() as s:
            now = call_api(srv.url, key, path, session=s).json()
        assert (now["name"], now["ticket_type"]) == (winner["name"], winner["ticket_type"]), now
