"""A key that leaks, in the browser: reported, refused, announced to the admins until one dismisses it,
marked in the list, and rolled back to life."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from support.api import EVENTS, call_api
from support.browser import (
    cell, create_api_key, goto_api_keys, keys_table, say_yes, shown_once_key, signup, table_row,
)
from support.secret_scanning import LEAK_URL, LEAKED_DETAIL, github_payload, report_to_github, report_to_public_endpoint

WIDTHS = (390, 1280)


def no_sideways_scroll(page, artifacts_dir, name: str) -> None:
    """At each width the page fits (no horizontal scroll); a screenshot of each is kept."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        fits = page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        shot = artifacts_dir / f"leak-{name}-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot: {shot}")
        assert fits, f"{name} scrolls sideways at {width} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_key_found_by_github_is_refused_announced_to_admins_until_dismissed_and_rolled_back_to_life(
    page, server, created_keys, partner_keys, artifacts_dir
):
    base = server.url
    signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "CRM sync", created_keys)
    assert call_api(base, key, EVENTS).status_code == 200

    r = report_to_github(base, github_payload([key]), partner_keys)
    assert r.status_code == 200, r.text[:300]
    assert r.json() == [{"token_raw": key, "token_type": "kagibag_api_key", "label": "true_positive"}]
    refused = call_api(base, key, EVENTS)
    assert refused.status_code == 401 and LEAKED_DETAIL in refused.json()["detail"], refused.text

    # The notice is on every Admin page, with where the key was found.
    for path in ("/admin", "/admin/events", "/admin/team/activity"):
        page.goto(path)
        banner = page.locator(".banner").filter(has_text="CRM sync")
        expect(banner).to_contain_text("API key “CRM sync” was revoked at")
        expect(banner).to_contain_text(f"because it was found at {LEAK_URL} (commit), reported by GitHub secret scanning.")
    expect(page.locator("table#activity tr[data-action='api_key.revoked_as_leaked']")).to_contain_text(LEAK_URL)
    no_sideways_scroll(page, artifacts_dir, "activity")

    goto_api_keys(page)
    table = keys_table(page)
    status = cell(table, table_row(table, "CRM sync"), "Status")
    expect(status).to_contain_text("Revoked: reported leaked")
    expect(status).to_contain_text("via GitHub secret scanning")
    expect(status.get_by_role("link", name=LEAK_URL)).to_have_attribute("href", LEAK_URL)
    no_sideways_scroll(page, artifacts_dir, "list")
    table_row(table, "CRM sync").get_by_role("link", name="CRM sync", exact=True).click()
    expect(page.locator("#leak")).to_contain_text("Revoked: reported leaked")
    expect(page.locator("#key-status")).to_have_text("Revoked: reported leaked")
    no_sideways_scroll(page, artifacts_dir, "key-page")
    key_page = page.url

    # Dismissed from the Events page: back there, and the notice is gone everywhere.
    page.goto("/admin/events")
    no_sideways_scroll(page, artifacts_dir, "events-with-notice")
    page.locator(".banner").filter(has_text="CRM sync").get_by_role("button", name="Dismiss", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/events$"))
    expect(page.locator("p.notice")).to_contain_text("Dismissed the notice about “CRM sync”")
    expect(page.locator(".banner").filter(has_text="CRM sync")).to_have_count(0)
    page.goto("/admin")
    expect(page.locator(".banner").filter(has_text="CRM sync")).to_have_count(0)

    # Rolled back to life: a new secret, and the leaked one never works again.
    page.goto(key_page)
    expect(page.locator("#leak-dismissed")).to_contain_text("Notice dismissed by")
    expect(page.get_by_label("Old secret keeps working", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Roll key", exact=True).click()
    say_yes(page, "Roll key")
    new = shown_once_key(page, created_keys)
    page.locator("dialog#new-key-dialog").get_by_role("button", name="Done", exact=True).click()
    expect(page.locator("#key-status")).to_have_text("Active")
    expect(page.locator("#leak")).to_have_count(0)
    assert [call_api(base, k, EVENTS).status_code for k in (key, new)] == [401, 200]


def test_without_javascript_a_key_reported_by_anyone_is_announced_and_the_notice_dismissed(new_page, server, created_keys):
    page = new_page(javascript=False)
    signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "Analytics export", created_keys)

    r = report_to_public_endpoint(server.url, [key, "not-a-key"])
    assert (r.status_code, r.json()) == (202, {"received": 2}), r.text[:300]
    page.goto("/admin/team")
    banner = page.locator(".banner").filter(has_text="Analytics export")
    expect(banner).to_contain_text("was reported as leaked through the public revocation endpoint")
    banner.get_by_role("button", name="Dismiss", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/team$"))
    expect(page.locator(".banner").filter(has_text="Analytics export")).to_have_count(0)
    goto_api_keys(page)
    expect(cell(keys_table(page), table_row(keys_table(page), "Analytics export"), "Status")).to_contain_text(
        "via the public revocation endpoint")
