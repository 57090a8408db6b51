"""Issue 28: key management that stays calm, proven as a user would meet it, at a phone's and a
laptop's width, with and without script: a three-minute-old key gets no advice but "too early to
tell"; "Idle 30+ days" lists an old unused key and not a new one; the plain create page has Create
in view; and an API write missing three fields is told all three at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from support import sqlite
from support.api import EVENTS, call_api
from support.browser import Pages, create_keys_over_http, goto_api_keys, signup, table_row, keys_table
from support.tour import Tour, in_both_windows



@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@in_both_windows
def test_new_keys_get_no_advice_and_are_not_idle_and_the_create_page_fits(
    browser, server, api, screenshots_dir, created_keys, width, height, script
):
    mode = "script" if script else "no-script"
    tour = Tour(width, height, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        tour.checker = pages.new(width=width, height=height)
        page = pages.new(javascript=script, width=width, height=height)
        signup(page)
        create_keys_over_http(page, ["Fresh nightly job", "Forgotten export"], created_keys)
        fresh, forgotten = created_keys[-2], created_keys[-1]
        sqlite.age_key(server.sqlite_path, forgotten, days=40)

        # Idle 30+ days: the 40-day-old unused key, not the one made a moment ago.
        goto_api_keys(page)
        page.get_by_label("Status", exact=True).select_option(label="Idle 30+ days")
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page.locator("#key-count")).to_have_text("1 key")
        expect(table_row(keys_table(page), "Forgotten export")).to_have_count(1)
        expect(table_row(keys_table(page), "Fresh nightly job")).to_have_count(0)
        tour.look(page, f"keys-idle-filter-{mode}", script=script)
        page.get_by_label("Status", exact=True).select_option(label="Never used")
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page.locator("#key-count")).to_have_text("2 keys")

        # Used a moment ago and minutes old: too early to tell, nothing offered to take away.
        assert call_api(server.url, fresh, EVENTS, session=api).status_code == 200
        page.goto("/admin/team/api-keys?q=Fresh")
        page.locator("table#api-keys a.key-name").first.click()
        expect(page.locator("#advisor-too-early")).to_contain_text("Too early to tell")
        expect(page.get_by_role("link", name="Restrict to what it uses", exact=True)).to_have_count(0)
        tour.look(page, f"key-advisor-too-early-{mode}", script=script)

        # The create page (what the dialog is without script): Create in view, unscrolled, on a laptop.
        page.goto("/admin/team/api-keys/new")
        create = page.get_by_role("button", name="Create", exact=True)
        if width >= 1280:
            tour.inside_window(page, create, "Create on the create page, unscrolled")
        expect(page.get_by_label("Expiration", exact=True)).to_have_value("90")
        expect(page.locator("details#key-more-options")).not_to_have_attribute("open", "")
        tour.look(page, f"key-new-folded-{mode}", script=script)
    assert not tour.problems, "\n".join(tour.problems)


def test_an_api_write_missing_three_fields_is_told_all_three_at_once(server, api, created_keys, new_page):
    page = new_page()
    signup(page)
    create_keys_over_http(page, ["Importer"], created_keys)
    key = created_keys[-1]
    r = call_api(server.url, key, EVENTS, "POST", session=api, json={"name": "Missing its times"})
    assert r.status_code in (400, 422), r.text
    problem = r.json()
    assert r.headers["Content-Type"].startswith("application/problem+json")
    named = {error.get("field") or error.get("pointer") for error in problem.get("errors", [])}
    assert {"starts_at", "ends_at", "timezone"} <= {str(n).lstrip("/") for n in named}, problem
    # Nothing was made.
    assert call_api(server.url, key, EVENTS, session=api).json()["data"] == []
