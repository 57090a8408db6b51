"""Webhooks (issue 26) end to end: a team's changes reach a real receiver, signed to the Standard
Webhooks specification and verified here with the reference library (`standardwebhooks`), never
with our own code.

A server of this module's own (plain http and loopback receivers allowed, the worker polling every
0.2 s) sends to a ThreadingHTTPServer in the test on 127.0.0.1: one message for every kind of
change made through the API, none carrying a ticket code or the key; a receiver that was down gets
every message once it is back, retried after about 5 seconds with the same webhook-id, those about
one attendee in the order they happened; after a roll every message carries two signatures, one
per secret. The session's server (neither setting) refuses plain http and link-local URLs, and a
server allowing only http refuses loopback. Last, an admin walks the pages in Chromium at a phone's
and a laptop's width, with and without JavaScript: each fits the window and is axe-clean."""

from __future__ import annotations

import base64
import collections
import html
import json
import os
import re
import time

import pytest
from playwright.sync_api import expect
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from support.api import EVENTS, call_api, event
from support.browser import Pages, open_menu
from support.kagibag import HARDENING_SETTINGS, running, server_env
from support.processes import free_port, work_dir
from support.tour import in_both_windows, signed_up_walk, with_and_without_script
from support.web import WebClient, signed_up_client
from support.webhooks import HOOKS, SECRET_RE, WEBHOOK_ID, Delivery, Receiver, add_endpoint, post_endpoint

SETTINGS = {**HARDENING_SETTINGS, "KAGIBAG_SIGNUPS_PER_ADDRESS": "1000"}
PRIVATE = "private, loopback or link-local"


@pytest.fixture(scope="module")
def hooks():
    """A server of this module's own that may send to http:// and loopback receivers."""
    env = server_env(**SETTINGS, KAGIBAG_WEBHOOK_ALLOW_HTTP="true", KAGIBAG_WEBHOOK_ALLOW_PRIVATE="true",
                     KAGIBAG_WEBHOOK_POLL_SECONDS="0.2")
    with work_dir("kagibag-webhooks-") as d, running(d / "server", env) as srv:
        yield srv


@pytest.fixture
def receiver(hooks):
    r = Receiver()
    yield r
    r.close()
    assert not hooks.crash_lines(), "\n".join(hooks.crash_lines())


# --- helpers --------------------------------------------------------------------------------------


def endpoint_action(web: WebClient, base: str, hook: str, action: str, expect_status: int = 303):
    """Posts one of the endpoint page's forms (test, roll-secret, …) as its button would."""
    _, csrf = web.form(base, f"{HOOKS}/{hook}")
    r = web.post(base, f"{HOOKS}/{hook}/{action}", {"_csrf": csrf})
    assert r.status_code == expect_status, (action, r.status_code, r.text[:300])
    return r


def api(base: str, key: str, path: str, method: str, status: int, **kw) -> dict:
    r = call_api(base, key, path, method, **kw)
    assert r.status_code == status, (method, path, r.status_code, r.text[:300])
    return r.json() if r.content else {}


def verified(d: Delivery, secret: str) -> dict:
    """The message, verified by the reference library with `secret` (raises if it does not verify)."""
    return Webhook(secret).verify(d.body, d.headers)


def without_code(attendee: dict) -> dict:
    return {k: v for k, v in attendee.items() if k != "ticket_code"}


def delivered(ds: list[Delivery]) -> list[Delivery]:
    return [d for d in ds if 200 <= d.status < 300]


def random_secret() -> str:
    return "whsec_" + base64.b64encode(os.urandom(32)).decode()


# --- over HTTP ------------------------------------------------------------------------------------


def test_every_kind_of_change_reaches_a_real_receiver_once_signed_and_without_ticket_codes(hooks, receiver):
    base = hooks.url
    web, key, _ = signed_up_client(base, "CRM sync")
    hook, secret = add_endpoint(web, base, receiver.url)

    ev = api(base, key, EVENTS, "POST", 201, json=event("Webhook night"))
    moved = api(base, key, f"{EVENTS}/{ev['id']}", "PATCH", 200, json={"name": "Webhook night, moved"})
    attendees = f"{EVENTS}/{ev['id']}/attendees"
    ada = api(base, key, attendees, "POST", 201, json={"name": "Ada Lovelace", "email": "ada@example.com"})
    ada_changed = api(base, key, f"{attendees}/{ada['id']}", "PATCH", 200, json={"email": "ada.l@example.com"})
    api(base, key, f"{EVENTS}/{ev['id']}/check-ins", "POST", 201, json={"ticket_code": ada["ticket_code"]})
    ada_in = api(base, key, f"{attendees}/{ada['id']}", "GET", 200)
    grace = api(base, key, attendees, "POST", 201, json={"name": "Grace Hopper", "email": "grace@example.com"})
    grace_out = api(base, key, f"{attendees}/{grace['id']}", "PATCH", 200, json={"status": "cancelled"})
    api(base, key, f"{attendees}/{ada['id']}", "DELETE", 204)
    api(base, key, f"{EVENTS}/{ev['id']}", "DELETE", 204)
    endpoint_action(web, base, hook, "test")

    expected = collections.Counter({"event.created": 1, "event.updated": 1, "event.deleted": 1,
                                    "attendee.registered": 2, "attendee.updated": 1, "attendee.cancelled": 1,
                                    "attendee.checked_in": 1, "attendee.deleted": 1, "webhook.test": 1})
    got = receiver.wait_for(lambda ds: collections.Counter(d.type for d in ds) == expected, "one of each")
    time.sleep(1)  # five polls more: nothing is sent twice
    assert len(receiver.received()) == len(got), [d.type for d in receiver.received()]

    messages: dict[str, list[dict]] = collections.defaultdict(list)
    for d in got:
        message = verified(d, secret)
        assert set(message) == {"type", "timestamp", "data"}, message
        assert d.headers["content-type"].startswith("application/json"), d.headers
        assert d.headers["user-agent"].startswith("Kagibag-Webhooks/"), d.headers
        assert WEBHOOK_ID.fullmatch(d.id), d.id
        assert abs(int(d.headers["webhook-timestamp"]) - time.time()) < 60, d.headers
        assert len(d.headers["webhook-signature"].split(" ")) == 1, d.headers  # one secret, one signature
        assert b"ticket_code" not in d.body, d.body
        for secret_text in (key, key.removeprefix("kgb_"), ada["ticket_code"], grace["ticket_code"]):
            assert secret_text.encode() not in d.body and secret_text not in str(d.headers), (secret_text, d.body)
        messages[message["type"]].append(message["data"])
    assert len({d.id for d in got}) == len(got), "two messages with one webhook-id"

    assert messages["event.created"] == [ev]
    assert messages["event.updated"] == [moved]
    assert messages["event.deleted"] == [{"id": ev["id"]}]
    assert sorted(messages["attendee.registered"], key=lambda a: a["name"]) == [without_code(ada), without_code(grace)]
    assert messages["attendee.updated"] == [without_code(ada_changed)]
    assert messages["attendee.checked_in"] == [without_code(ada_in)] and ada_in["status"] == "checked_in"
    assert messages["attendee.cancelled"] == [without_code(grace_out)] and grace_out["status"] == "cancelled"
    assert messages["attendee.deleted"] == [{"id": ada["id"], "event_id": ev["id"]}]
    assert all(a["email"] for a in messages["attendee.registered"]), messages["attendee.registered"]
    # About one attendee, in the order it happened.
    assert [d.type for d in got if d.data.get("id") == ada["id"]] == [
        "attendee.registered", "attendee.updated", "attendee.checked_in", "attendee.deleted"]


def test_a_receiver_that_was_down_gets_every_message_once_back_in_order_with_the_same_webhook_id(
        hooks, receiver):
    base = hooks.url
    receiver.status = 503
    web, key, _ = signed_up_client(base, "Flaky receiver")
    hook, secret = add_endpoint(web, base, receiver.url)
    ev = api(base, key, EVENTS, "POST", 201, json=event("Retry night"))
    attendees = f"{EVENTS}/{ev['id']}/attendees"
    grace = api(base, key, attendees, "POST", 201, json={"name": "Grace Hopper", "email": "grace@example.com"})
    api(base, key, f"{attendees}/{grace['id']}", "PATCH", 200, json={"name": "Grace B. Hopper"})
    api(base, key, f"{attendees}/{grace['id']}", "PATCH", 200, json={"status": "cancelled"})

    receiver.wait_for(lambda ds: {"event.created", "attendee.registered"} <= {d.type for d in ds}, "first tries")
    time.sleep(1.5)  # several polls: her change and cancellation wait behind her failed registration
    down = receiver.received()
    assert sorted(d.type for d in down) == ["attendee.registered", "event.created"], [d.type for d in down]
    receiver.status = 204

    types = ["event.created", "attendee.registered", "attendee.updated", "attendee.cancelled"]
    got = receiver.wait_for(lambda ds: sorted(d.type for d in delivered(ds)) == sorted(types), "all delivered")
    time.sleep(1)  # nothing is sent again once delivered
    assert len(receiver.received()) == len(got) == 6, [(d.type, d.status) for d in receiver.received()]
    tries: dict[str, list[Delivery]] = collections.defaultdict(list)
    for d in got:
        verified(d, secret)
        tries[d.type].append(d)
    for kind in ("event.created", "attendee.registered"):
        first, second = tries[kind]
        assert (first.status, second.status) == (503, 204), kind
        assert first.id == second.id and first.body == second.body, (first.headers, second.headers)
        assert 4.4 <= second.at - first.at <= 8, f"{kind} retried after {second.at - first.at:.1f}s, not ~5s"
    assert [d.type for d in delivered(got) if d.data["id"] == grace["id"]] == [
        "attendee.registered", "attendee.updated", "attendee.cancelled"]
    assert len({d.id for d in delivered(got)}) == 4

    # The deliveries table: both retried messages delivered at the second attempt, the rest at the first.
    deadline = time.monotonic() + 10
    while (page := web.get(base, f"{HOOKS}/{hook}").text).count('data-state="delivered"') < 4:
        assert time.monotonic() < deadline, page[-3000:]
        time.sleep(0.2)
    for kind in types:
        row = re.search(rf'<tr data-state="delivered" data-type="{re.escape(kind)}">(.*?)</tr>', page, re.S)
        assert row, f"no delivered row for {kind}"
        want = "(2 attempts)" if kind in ("event.created", "attendee.registered") else "(1 attempt)"
        assert want in row.group(1), (kind, row.group(1))
    # The registration's page: two attempts, the 503 with what the receiver answered, then the 204.
    link = re.search(r'<tr data-state="delivered" data-type="attendee.registered">.*?href="([^"]+)"', page, re.S)
    message = web.get(base, link.group(1)).text
    assert f'<code id="webhook-message-id">{tries["attendee.registered"][0].id}</code>' in message
    attempts = message.split('id="webhook-attempts"')[1].split("</table>")[0]
    assert attempts.count("<tr>") == 3, attempts  # the header row and two attempts
    assert "<strong>503</strong>" in attempts and "<strong>204</strong>" in attempts, attempts
    assert "down for maintenance" in attempts, attempts


def test_after_rolling_the_secret_each_message_verifies_with_the_new_and_the_old_one(hooks, receiver):
    base = hooks.url
    web, key, _ = signed_up_client(base, "Roller")
    hook, old = add_endpoint(web, base, receiver.url)
    endpoint_action(web, base, hook, "test")
    before = receiver.wait_for(lambda ds: len(ds) == 1, "the test message")[0]
    assert verified(before, old)["type"] == "webhook.test"

    r = endpoint_action(web, base, hook, "roll-secret", expect_status=200)
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    new = SECRET_RE.search(r.text).group(1)
    assert new != old and 'id="old-webhook-secret-note"' in r.text
    assert new not in web.get(base, f"{HOOKS}/{hook}").text, "the new secret is shown again"

    api(base, key, EVENTS, "POST", 201, json=event("After the roll"))
    after = receiver.wait_for(lambda ds: len(ds) == 2, "the message after the roll")[1]
    assert after.type == "event.created"
    signatures = after.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures), after.headers
    assert verified(after, new) == verified(after, old) == json.loads(after.body)
    # One signature for each secret, not one that both somehow match.
    for secret in (new, old):
        matching = []
        for signature in signatures:
            try:
                verified(Delivery({**after.headers, "webhook-signature": signature}, after.body, 0, 0, 204), secret)
                matching.append(signature)
            except WebhookVerificationError:
                pass
        assert len(matching) == 1, (secret[-4:], signatures)
    with pytest.raises(WebhookVerificationError):
        verified(after, random_secret())
    with pytest.raises(WebhookVerificationError):
        verified(before, new)


def test_plain_http_loopback_and_link_local_endpoints_are_refused_and_nothing_is_created(server):
    web = WebClient()
    web.signup(server.url)
    for url, why in [(f"http://127.0.0.1:{free_port()}/hooks", "must start with https://"),
                     ("https://169.254.169.254/latest/meta-data", PRIVATE)]:
        r = post_endpoint(web, server.url, url)
        assert r.status_code == 422, (url, r.status_code, r.text[:300])
        assert 'class="error-summary"' in r.text and 'class="field-error"' in r.text, r.text[:2000]
        assert why in html.unescape(r.text), (url, r.text[:2000])
        assert "whsec_" not in r.text
    listing = web.get(server.url, HOOKS).text
    assert 'id="no-webhooks"' in listing and 'id="webhook-endpoints"' not in listing

    # A server that allows plain http still refuses loopback: a name or an address.
    env = server_env(**SETTINGS, KAGIBAG_WEBHOOK_ALLOW_HTTP="true")
    with work_dir("kagibag-webhooks-http-") as d, running(d / "server", env) as only_http:
        web = WebClient()
        web.signup(only_http.url)
        port = free_port()
        for url in (f"http://127.0.0.1:{port}/hooks", f"http://localhost:{port}/hooks"):
            r = post_endpoint(web, only_http.url, url)
            assert r.status_code == 422, (url, r.status_code, r.text[:300])
            assert PRIVATE in html.unescape(r.text) and 'class="field-error"' in r.text, (url, r.text[:2000])
        listing = web.get(only_http.url, HOOKS).text
        assert 'id="no-webhooks"' in listing and 'id="webhook-endpoints"' not in listing


# --- in a browser ---------------------------------------------------------------------------------


@with_and_without_script
@in_both_windows
def test_an_admin_adds_an_endpoint_sees_its_secret_once_tests_resends_and_rolls_it(
        browser, hooks, receiver, artifacts_dir, screenshots_dir, width, height, javascript):
    base, mode = hooks.url, "js" if javascript else "no-js"
    with Pages(browser, base, artifacts_dir) as pages:  # kept in artifacts_dir if the walk fails
        tour, page, _ = signed_up_walk(pages.new, base, screenshots_dir, width, height, javascript,
                                       "Webhook walk", [])
        nav = page.get_by_role("navigation", name="Main")
        open_menu(page)
        nav.get_by_role("link", name="Webhooks", exact=True).click()
        expect(page).to_have_url(re.compile(HOOKS + "$"))
        # (Under the closed Menu on a phone: a CSS locator finds it hidden too.)
        expect(page.locator('nav[aria-label="Main"] a', has_text="Webhooks")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
        expect(page.locator("#no-webhooks")).to_be_visible()
        tour.look(page, f"webhooks-list-empty-{mode}", script=javascript)

        page.locator("#add-webhook").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Add webhook endpoint")
        expect(page.locator("input[name=all_types]")).to_be_checked()
        tour.look(page, f"webhooks-form-{mode}", script=javascript)
        page.get_by_label("Endpoint URL").fill("ftp://example.com/hooks")
        page.get_by_role("button", name="Add endpoint", exact=True).click()
        expect(page.locator(".error-summary")).to_be_visible()
        expect(page.locator("#webhook-url-error")).to_contain_text("must start with https:// or http://")
        expect(page.locator("#webhook-url")).to_have_attribute("aria-invalid", "true")
        tour.look(page, f"webhooks-form-error-{mode}", script=javascript)

        page.get_by_label("Endpoint URL").fill(receiver.url)
        page.get_by_label("Description").fill("Walk receiver")
        expect(page.locator("input[name=all_types]")).to_be_checked()
        page.get_by_role("button", name="Add endpoint", exact=True).click()
        box = page.locator("#webhook-secret-box")
        expect(box.get_by_role("heading", level=2)).to_have_text("Signing secret")
        secret = page.locator("textarea#webhook-secret").input_value()
        assert re.fullmatch(r"whsec_[A-Za-z0-9+/=]+", secret), secret
        copy = box.locator("[data-copy=webhook-secret]")
        if javascript:
            copy.click()
            expect(box.locator(".copy-status")).to_have_text("Copied to the clipboard.")
            assert page.evaluate("navigator.clipboard.readText()") == secret
        elif copy.is_visible():  # gathered, not raised: the walk goes on to name every problem
            tour.problems.append(f"webhooks-secret-{mode} at {width}px: the Copy button shows without "
                                 "JavaScript, where it does nothing")
        tour.look(page, f"webhooks-secret-{mode}", script=javascript)

        # Send test event: delivered, verified with the secret, and listed as delivered.
        page.locator("#send-test").click()
        expect(page.get_by_role("status").filter(has_text="webhook.test")).to_be_visible()
        expect(page.locator("textarea#webhook-secret")).to_have_count(0)  # shown once only
        test = receiver.wait_for(lambda ds: len(ds) == 1, "the test message")[0]
        assert verified(test, secret)["type"] == "webhook.test"
        row = page.locator("table#webhook-messages tr[data-type='webhook.test']")
        for _ in range(50):
            if row.get_attribute("data-state") == "delivered":
                break
            time.sleep(0.2)
            page.reload()
        expect(row).to_have_attribute("data-state", "delivered")
        expect(row).to_contain_text("(1 attempt)")
        tour.look(page, f"webhooks-endpoint-{mode}", script=javascript)

        row.get_by_role("link").click()
        expect(page.locator("code#webhook-message-id")).to_have_text(test.id)
        expect(page.locator("pre#webhook-payload")).to_contain_text('"webhook.test"')
        expect(page.locator("table#webhook-attempts tbody tr")).to_have_count(1)
        tour.look(page, f"webhooks-message-{mode}", script=javascript)
        page.locator("#resend-message").click()
        expect(page.get_by_role("status").filter(has_text="same webhook-id")).to_be_visible()
        again = receiver.wait_for(lambda ds: len(ds) == 2, "the resent message")[1]
        assert again.id == test.id and verified(again, secret)["type"] == "webhook.test"
        for _ in range(50):
            if page.locator("table#webhook-attempts tbody tr").count() == 2:
                break
            time.sleep(0.2)
            page.reload()
        expect(page.locator("table#webhook-attempts tbody tr")).to_have_count(2)

        page.get_by_role("link", name="Back to the endpoint", exact=True).click()
        page.locator("#roll-webhook-secret").click()
        expect(box.get_by_role("heading", level=2)).to_have_text("New signing secret")
        rolled = page.locator("textarea#webhook-secret").input_value()
        assert rolled != secret and rolled.startswith("whsec_")
        expect(page.locator("#old-webhook-secret-note")).to_contain_text("24 hours")
        tour.look(page, f"webhooks-rolled-{mode}", script=javascript)

        tour.follow_links()
    assert not tour.problems, f"{len(tour.problems)} problems:\n" + "\n".join(tour.problems)
