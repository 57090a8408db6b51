"""A key's life after creation, walked in the browser: narrowed, rolled, paused, fenced; and, over
plain HTTP on SQLite and on PostgreSQL (the `backend` fixture), who may roll it."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from support import sqlite
from support.api import EVENTS, KEY_INFO, SELF_ROLL, call_api, event
from support.browser import Pages, create_keys_over_http, goto_api_keys, login, say_yes, signup
from support.keys import KEY_RE
from support.tour import Tour, in_both_windows
from support.web import WebClient

ONLY_CURRENT = "Only the key's current secret can roll it."


def roll(page, grace_label: str, created_keys: list[str]) -> str:
    """On the key's page: Roll with the given grace period; returns the new secret, dialog closed."""
    page.get_by_label("Old secret keeps working", exact=True).select_option(label=grace_label)
    page.get_by_role("button", name="Roll key", exact=True).click()
    say_yes(page, "Roll key")
    dialog = page.locator("dialog#new-key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("shown only once")
    secret = dialog.locator("#new-api-key").input_value()
    created_keys.append(secret)
    assert KEY_RE.match(secret), secret
    dialog.get_by_role("button", name="Done", exact=True).click()
    expect(dialog).to_be_hidden()
    return secret


def save_fence(page, addresses: str) -> None:
    page.get_by_role("link", name="Edit name, permissions, events and addresses", exact=True).click()
    page.get_by_label("Allowed client addresses (optional)", exact=True).fill(addresses)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("p.notice")).to_contain_text("The change applies to its next request.")


def test_a_read_only_key_is_rolled_with_a_grace_period_paused_resumed_and_fenced(page, server, created_keys):
    base = server.url
    signup(page)
    goto_api_keys(page)

    page.get_by_role("link", name="Create API Key", exact=True).click()
    dialog = page.locator("dialog#create-key-dialog")
    dialog.get_by_label("Name", exact=True).fill("CRM read")
    dialog.get_by_label("Only these:").check()
    dialog.get_by_label("events:read", exact=True).check()
    dialog.get_by_label("attendees:read", exact=True).check()
    dialog.get_by_role("button", name="Create", exact=True).click()
    shown = page.locator("dialog#new-key-dialog")
    old = shown.locator("#new-api-key").input_value()
    created_keys.append(old)
    shown.get_by_role("button", name="Done", exact=True).click()
    row = page.locator("table#api-keys tbody tr").filter(has_text="CRM read")
    expect(row.locator(".key-permissions")).to_contain_text("events:read, attendees:read")

    assert call_api(base, old, EVENTS).status_code == 200
    refused = call_api(base, old, EVENTS, method="POST", json=event("Not allowed"))
    assert refused.status_code == 403, refused.text
    assert "This key's permissions do not include events:write" in refused.json()["detail"]

    row.get_by_role("link", name="CRM read", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CRM read")
    new = roll(page, "1 hour", created_keys)
    assert new != old
    grace = page.locator("#grace")
    expect(grace).to_contain_text(f"…{old[-4:]}")
    assert [call_api(base, k, EVENTS).status_code for k in (old, new)] == [200, 200]

    grace.get_by_role("button", name="End now", exact=True).click()
    expect(page.locator("dialog#confirm-dialog")).to_contain_text(f"…{old[-4:]}")
    say_yes(page, "End it now")
    expect(page.locator("#grace")).to_have_count(0)
    assert [call_api(base, k, EVENTS).status_code for k in (old, new)] == [401, 200]

    page.get_by_role("button", name="Pause", exact=True).click()
    expect(page.locator("#key-status")).to_have_text("Paused")
    paused = call_api(base, new, EVENTS)
    assert paused.status_code == 401 and "paused" in paused.json()["detail"], paused.text
    page.get_by_role("button", name="Resume", exact=True).click()
    expect(page.locator("#key-status")).to_have_text("Active")
    assert call_api(base, new, EVENTS).status_code == 200

    save_fence(page, "10.0.0.0/8")
    expect(page.locator("#key-fence")).to_have_text("10.0.0.0/8")
    fenced = call_api(base, new, EVENTS)
    assert fenced.status_code == 403, fenced.text
    assert "10.0.0.0" not in fenced.text
    save_fence(page, "")
    expect(page.locator("#key-fence")).to_have_text("Any address")
    assert call_api(base, new, EVENTS).status_code == 200

    page.goto("/admin/team/activity")
    for summary in ("rolled API key “CRM read”", "ended the grace period", "paused API key", "resumed API key",
                    "addresses: any address → 10.0.0.0/8"):
        expect(page.locator("main")).to_contain_text(summary)


def test_without_javascript_a_key_is_narrowed_at_creation_and_rolled_from_its_page(new_page, server, created_keys):
    page = new_page(javascript=False)
    signup(page)
    page.goto("/admin/team/api-keys/new")
    page.get_by_label("Name", exact=True).fill("No JS reader")
    page.get_by_label("Only these:").check()
    page.get_by_label("events:read", exact=True).check()
    page.get_by_role("button", name="Create", exact=True).click()
    first = page.locator("#new-api-key").input_value()
    created_keys.append(first)
    page.get_by_role("link", name="No JS reader", exact=True).click()
    page.get_by_label("Old secret keeps working", exact=True).select_option(label="End now")
    page.get_by_role("button", name="Roll key", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Roll “No JS reader”?")
    expect(page.locator("main")).to_contain_text(f"The current secret …{first[-4:]} has never been used")
    expect(page.locator("main")).to_contain_text("stops working at once")
    say_yes(page, "Roll key")
    second = page.locator("#new-api-key").input_value()
    created_keys.append(second)
    expect(page.locator("#old-secret-note")).to_have_text("The old secret no longer works.")
    assert [call_api(server.url, k, EVENTS).status_code for k in (first, second)] == [401, 200]
    page.reload()  # re-posts the roll form: nothing more happens
    expect(page).to_have_url(re.compile(r"/admin/team/api-keys/[0-9a-f-]{36}$"))
    assert call_api(server.url, second, EVENTS).status_code == 200


def test_an_old_secret_in_its_grace_period_cannot_self_roll_and_lock_out_the_admins_new_secret(backend):
    """An admin rolls a key (say, because its secret leaked) and gives the integrations an hour to
    move over. Before issue 22 the old secret, in that hour, could roll the key itself: it got a
    secret of its own (201) and the admin's new one stopped working (401), a takeover by whoever
    holds the leaked secret. Now the old secret still reads, but rolling takes the current one."""
    name, srv, _ = backend
    base = srv.url
    web = WebClient()
    web.signup(base)
    old, key_id = web.create_key(base, "Secrets manager", may_roll_itself="on")
    assert call_api(base, old, KEY_INFO).json()["may_roll_itself"] is True
    new = web.roll_key(base, key_id, 3600)  # the key's page: Roll, "Old secret keeps working" 1 hour
    assert new != old

    for grace in (3600, 0):
        r = call_api(base, old, SELF_ROLL, method="POST", json={"grace_seconds": grace})
        print(f"[{name}] self-roll with the old secret, grace {grace}: {r.status_code} {r.text[:200]}")
        assert r.status_code == 403, (grace, r.status_code, r.text[:300])
        assert r.headers.get("Content-Type", "").startswith("application/problem+json"), r.headers
        problem = r.json()
        assert problem["status"] == 403 and problem["detail"].startswith(ONLY_CURRENT), problem
        assert "kgb_" not in r.text, "a refused roll shows a secret"
        # Nothing changed: the admin's secret is the key's, and the old one has its hour.
        assert call_api(base, new, EVENTS).status_code == 200, grace
        assert call_api(base, old, EVENTS).status_code == 200, grace
        assert call_api(base, new, KEY_INFO).json()["preview"].endswith(new[-4:])

    activity = web.get(base, "/admin/team/activity")
    assert activity.status_code == 200 and "rolled itself" not in activity.text

    # The current secret may roll the key: the 403s above were about which secret, not the key.
    r = call_api(base, new, SELF_ROLL, method="POST", json={"grace_seconds": 0})
    assert r.status_code == 201, (r.status_code, r.text[:300])
    newest = r.json()["key"]
    assert KEY_RE.match(newest), newest
    assert [call_api(base, k, EVENTS).status_code for k in (new, newest)] == [401, 200]


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@in_both_windows
def test_thirteen_keys_expiring_this_week_make_one_notice_line_that_an_admin_can_dismiss(
    browser, server, screenshots_dir, created_keys, width, height, script
):
    """Issue 28: one notice per expiring key pushed the Admin page below the fold (13 keys on a
    desktop, 3 on a phone). Now they make one line that opens the list filtered to them, and each
    admin may dismiss it until another key comes within the week or expires."""
    tour = Tour(width, height, screenshots_dir, server.url)
    prefix = f"Expiring {uuid.uuid4().hex[:8]}"
    with Pages(browser, server.url, screenshots_dir) as pages:
        setup = pages.new(width=width, height=height)
        user = signup(setup)
        create_keys_over_http(setup, [f"{prefix} {i:02d}" for i in range(13)], created_keys)
        sqlite.expire_keys_in(server.sqlite_path, prefix, days=3)
        tour.checker = setup

        page = pages.new(javascript=script, width=width, height=height)
        login(page, user.email, user.password)
        page.goto("/admin")
        banners = page.locator(".banner")
        expect(banners).to_have_count(1)
        expect(banners).to_contain_text("13 API keys expire within 7 days.")
        tour.inside_window(page, banners.get_by_role("link", name="See them", exact=True), "the notice's link")
        tour.look(page, f"expiry-summary-{'script' if script else 'no-script'}", script=script)
        banners.get_by_role("link", name="See them", exact=True).click()
        expect(page.locator("#key-count")).to_have_text("13 keys")
        page.locator(".banner").get_by_role("button", name="Dismiss", exact=True).click()
        expect(page.locator(".banner")).to_have_count(0)
        expect(page.locator("#key-count")).to_have_text("13 keys")  # back where it was
        page.goto("/admin/events")
        expect(page.locator(".banner")).to_have_count(0)
    assert not tour.problems, "\n".join(tour.problems)
