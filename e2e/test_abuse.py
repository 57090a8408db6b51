"""Issue 11's attacks on a real server over real sockets: the bursts, races and timings that the
in-process Swift tests cannot reproduce (those prove the rest; docs/security.md lists both).

Each test starts a `kagibag serve` of its own, on SQLite, with the settings it names on top of the
defaults: passwords are hashed at the default bcrypt cost (12) unless a test says otherwise, so
the figures it prints mean what they say. Run it on the build you care about
(KAGIBAG_BIN=.build/release/kagibag for release figures).
"""

from __future__ import annotations

import collections
import re
import statistics
import time
from urllib.parse import urlencode

import pytest

from support import sqlite
from support.api import EVENTS, auth
from support.http import http, raw_get, raw_post_in_pieces
from support.kagibag import throwaway
from support.load import additions_racing_a_removal, anonymous_burst, concurrent_logins
from support.nginx import running_nginx
from support.processes import work_dir
from support.web import WebClient, new_user, signed_up_client

pytestmark = pytest.mark.hardening


def refused_properly(status: int, retry_after: str | None) -> bool:
    """A refusal is 429 or 503 with a Retry-After of whole seconds, nothing else."""
    return status in (429, 503) and retry_after is not None and retry_after.isdigit() and int(retry_after) > 0


# --- finding 1: an anonymous burst stalls everyone -------------------------------------------------


@pytest.mark.parametrize("settings", [{}, {"KAGIBAG_SIGNUPS_PER_ADDRESS": "1000"}],
                         ids=["default-settings", "signup-limit-raised"])
def test_a_burst_of_signups_and_failed_logins_is_served_or_refused_while_an_integration_polls_within_a_second(settings):
    with throwaway(**settings) as srv:
        _, key, _ = signed_up_client(srv.url, "Poller")
        burst = anonymous_burst(srv.url, key, signups=60, logins=45)
        print(f"\n{burst.summary()}")
        assert not burst.errors, burst.errors[:5]
        for status, retry_after in burst.signups:
            assert status == 303 or refused_properly(status, retry_after), (status, retry_after)
        for status, retry_after in burst.logins:
            assert status == 401 or refused_properly(status, retry_after), (status, retry_after)
        assert [s for s, _ in burst.polls if s != 200] == []
        slowest = max(seconds for _, seconds in burst.polls)
        assert slowest < 1.0, f"a poll took {slowest:.2f}s"
        assert not srv.crash_lines(), srv.crash_lines()[:5]


# --- finding 2: login limits can be raced ----------------------------------------------------------


# The queue is raised so that the login limits, not the hashing queue, are what refuses.
RACE_SETTINGS = {"KAGIBAG_PASSWORD_QUEUE": "200"}


def test_thirty_concurrent_wrong_passwords_for_one_account_get_no_more_than_ten_checks():
    with throwaway(**RACE_SETTINGS) as srv:
        user = WebClient().signup(srv.url)
        results = concurrent_logins(srv.url, [(user.email, "wrong password!")] * 30)
        checked = [s for s, _ in results if s == 401]
        print(f"\n30 concurrent wrong passwords: {len(checked)} checked (401), "
              f"{sum(1 for s, _ in results if s == 429)} refused (429)")
        assert len(checked) <= 10
        assert all(s == 401 or refused_properly(s, r) for s, r in results), results
        # The right password is refused now too, until the window ends.
        web = WebClient()
        _, csrf = web.form(srv.url, "/login")
        r = web.post(srv.url, "/login", {"email": user.email, "password": user.password, "_csrf": csrf})
        assert r.status_code == 429 and refused_properly(r.status_code, r.headers.get("Retry-After")), r.status_code


def test_eighty_concurrent_failures_from_one_address_get_no_more_than_fifty_checks_and_no_5xx():
    with throwaway(**RACE_SETTINGS) as srv:
        results = concurrent_logins(srv.url, [(f"nobody-{n}@example.com", "wrong password!") for n in range(80)])
        statuses = [s for s, _ in results]
        print(f"\n80 concurrent failures: {statuses.count(401)} checked (401), {statuses.count(429)} refused (429), "
              f"{sum(1 for s in statuses if s >= 500)} 5xx")
        assert statuses.count(401) <= 50
        assert all(s == 401 or refused_properly(s, r) for s, r in results), results
        # The address is blocked afterwards.
        web = WebClient()
        _, csrf = web.form(srv.url, "/login")
        r = web.post(srv.url, "/login", {"email": "late@example.com", "password": "wrong password!", "_csrf": csrf})
        assert refused_properly(r.status_code, r.headers.get("Retry-After")), r.status_code
        assert not srv.crash_lines(), srv.crash_lines()[:5]


# --- finding 3: login timing tells which emails have accounts ---------------------------------------


def test_a_failed_login_takes_as_long_whatever_the_reason():
    with throwaway() as srv:
        user = WebClient().signup(srv.url)
        long_password = "p" * 1001
        cases = {
            "wrong password": (user.email, "wrong password!"),
            "unknown email": ("nobody@example.com", "wrong password!"),
            "malformed email": ("not an email", "wrong password!"),
            "over-long password, existing account": (user.email, long_password),
            "over-long password, unknown email": ("nobody@example.com", long_password),
        }
        seconds: dict[str, list[float]] = {reason: [] for reason in cases}
        # Round after round through every reason, so that a change in the machine's load (other
        # processes) weighs on all of them alike. 3 rounds x 2 attempts on the account: under its limit.
        for _ in range(3):
            for reason, (email, password) in cases.items():
                web = WebClient()
                _, csrf = web.form(srv.url, "/login")
                started = time.monotonic()
                r = web.post(srv.url, "/login", {"email": email, "password": password, "_csrf": csrf})
                seconds[reason].append(time.monotonic() - started)
                assert r.status_code == 401, (reason, r.status_code)
                assert "Incorrect email or password." in r.text
        timings = {reason: statistics.median(values) for reason, values in seconds.items()}
        print("\nmedian time of a failed login: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items()))
        # Before the fix the over-long password of an existing account took 2 % of the others' time.
        fastest, slowest = min(timings.values()), max(timings.values())
        assert fastest >= 0.4 * slowest, timings


# --- finding 5: anonymous page views grow the sessions table ---------------------------------------


def test_two_thousand_anonymous_page_views_add_no_session_row():
    with throwaway(KAGIBAG_BCRYPT_COST="4") as srv:
        before = sqlite.count_rows(srv.sqlite_path, "sessions")
        with http() as s:
            for n in range(2000):
                r = s.get(srv.url + ("/login", "/signup", "/", "/no-such-page")[n % 4], allow_redirects=False, timeout=30)
                assert r.status_code < 500
                assert "kagibag_session" not in r.headers.get("Set-Cookie", "")
                s.cookies.clear()
        assert sqlite.count_rows(srv.sqlite_path, "sessions") == before == 0


# --- finding 6: /metrics/ slips past the shipped nginx block ----------------------------------------

METRICS_SPELLINGS = ["/metrics", "/metrics/", "//metrics", "//metrics/", "/metrics/x", "/%6Detrics", "/metrics?x=1",
                     "/./metrics", "/metrics;x"]


def test_no_spelling_of_metrics_gets_through_the_shipped_nginx_and_the_instance_serves_only_the_exact_path():
    with throwaway(KAGIBAG_TRUSTED_PROXIES="127.0.0.1") as srv, work_dir("kagibag-nginx-") as d, \
            running_nginx(d / "nginx", [srv.port]) as nginx:
        with nginx.session() as s:
            for path in METRICS_SPELLINGS:
                r = s.get(nginx.url + path, timeout=10, allow_redirects=False)
                assert "kagibag_http_requests_total" not in r.text, path
                assert r.status_code == 404, (path, r.status_code)
        # Straight to the instance, from this machine: the exact path only, and never a cookie.
        for path in ["/metrics/", "//metrics/", "/metrics/x", "///metrics/"]:
            answer = raw_get(srv.port, [], path)
            assert answer.status == 404, (path, answer.status)
            assert answer.header(b"set-cookie") is None, path
        assert raw_get(srv.port, [], "/metrics").status == 200
        # What nginx would pass on, the instance refuses too: a forwarded request is not local.
        assert raw_get(srv.port, [b"X-Forwarded-For: 203.0.113.7"], "/metrics").status == 404


# --- finding 9: an admin removed a moment ago can finish in-flight additions ------------------------


def test_an_admin_removed_a_moment_ago_cannot_finish_the_member_changes_in_flight():
    # Real sockets make the race real, but whether a request falls into the window between its
    # authentication and its write is up to the scheduler: before the fix this test failed in some
    # runs, not all. TeamLifecycleTests.staleAdminIsRefusedAtTheWrite proves the same deterministically.
    with throwaway(KAGIBAG_BCRYPT_COST="4", KAGIBAG_SIGNUPS_PER_ADDRESS="1000") as srv:
        base = srv.url
        first, second = WebClient(), WebClient()
        first_user, second_user = first.signup(base, new_user("first")), second.signup(base, new_user("second"))
        people = [WebClient().signup(base, new_user("person")) for _ in range(30)]
        second.join_team_of(first, base, first_user.team, second_user.email, role="admin")
        page, _ = first.form(base, "/admin/team")
        row = next(r for r in page.split("<tr>") if second_user.email in r and "/remove" in r)
        remove = re.search(r'action="(/admin/team/members/[0-9a-f-]+/remove)"', row).group(1)

        statuses = additions_racing_a_removal(base, second, [p.email for p in people], first, remove)

        trail = sqlite.audit_trail(srv.sqlite_path)
        removal = next(i for i, (action, _, summary) in enumerate(trail)
                       if action == "member.removed" and second_user.email in summary)
        after = [entry for entry in trail[removal + 1:] if entry[1] == second_user.name]
        adds = collections.Counter(status for kind, status in statuses if kind == "add")
        print(f"\nadditions by the second admin: {dict(adds)}; recorded after their removal: {len(after)}")
        assert ("remove", 303) in statuses, statuses
        assert after == [], after
        assert all(status in (303, 403, 404) for _, status in statuses), statuses


# --- finding 11: forms over ~2 kB are refused as "expired" -----------------------------------------


def test_a_form_whose_body_arrives_after_its_head_is_read_whole():
    with throwaway(KAGIBAG_BCRYPT_COST="4") as srv:
        web, key, _ = signed_up_client(srv.url, "Reader")
        _, csrf = web.form(srv.url, "/admin/events/new")
        description = "A long description. " * 450  # 9,000 characters
        body = urlencode({"_csrf": csrf, "name": "Long read", "description": description,
                          "starts_at": "2031-05-01T18:00", "ends_at": "2031-05-01T20:00", "timezone": "UTC",
                          "venue": "", "capacity": "", "status": "draft"}).encode()
        cookie = f"kagibag_session={web.cookie}".encode()
        answer = raw_post_in_pieces(srv.port, "/admin/events", [
            b"Content-Type: application/x-www-form-urlencoded", b"Cookie: " + cookie], body, first=1000)
        assert answer.status == 303, (answer.status, answer.body[:300])
        events = http().get(srv.url + EVENTS, headers=auth(key), timeout=10).json()["data"]
        assert [e["description"] for e in events if e["name"] == "Long read"] == [description]

        # An anonymous form (its CSRF token in a cookie) streams in the same way.
        anonymous = WebClient()
        _, csrf = anonymous.form(srv.url, "/login")
        cookie = "; ".join(f"{k}={v}" for k, v in anonymous.other_cookies.items()).encode()
        body = urlencode({"_csrf": csrf, "email": "nobody@example.com", "password": "x" * 3000}).encode()
        answer = raw_post_in_pieces(srv.port, "/login", [
            b"Content-Type: application/x-www-form-urlencoded", b"Cookie: " + cookie], body, first=500)
        assert answer.status == 401, (answer.status, answer.body[:300])
        assert b"Incorrect email or password." in answer.body
