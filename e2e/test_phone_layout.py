"""Issue 28, point 8: a phone's first screen is the page's, not the header's; the key list is
cards of at most ~140 px, 20 a page; on a desktop a table gets the window's width, so names stay
on one line."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from support.browser import Pages, create_keys_over_http, goto_api_keys, open_menu, signup
from support.tour import Tour

NAMES = [f"CRM sync for the regional office {i:02d}" for i in range(25)]


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_on_a_phone_the_header_is_one_line_and_the_first_screen_shows_several_key_cards(
    browser, server, screenshots_dir, created_keys, script
):
    mode = "script" if script else "no-script"
    tour = Tour(390, 844, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        tour.checker = pages.new(width=390, height=844)
        page = pages.new(javascript=script, width=390, height=844)
        signup(page)
        create_keys_over_http(page, NAMES, created_keys)
        goto_api_keys(page)
        header = page.locator("header.site-header").bounding_box()
        assert header is not None and header["height"] <= 64, header
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
        rows = page.locator("table#api-keys tbody tr")
        expect(rows).to_have_count(20)
        expect(page.locator("#key-count")).to_have_text("25 keys")
        heights = rows.evaluate_all("rows => rows.map(r => r.getBoundingClientRect().height)")
        assert max(heights) <= 140, heights
        on_first_screen = rows.evaluate_all(
            "rows => rows.filter(r => r.getBoundingClientRect().bottom <= innerHeight).length")
        assert on_first_screen >= 2, on_first_screen
        first = rows.first
        expect(first.locator("code.preview")).to_be_visible()  # the last four
        expect(first.locator('td[data-label="Created"]')).to_be_visible()
        expect(first.locator('td[data-label="Last used"]')).to_contain_text("Never")
        tour.look(page, f"phone-key-cards-{mode}", script=script)

        open_menu(page)  # a <details>: opens without script too
        nav = page.get_by_role("navigation", name="Main")
        expect(nav).to_be_visible()
        tour.look(page, f"phone-menu-open-{mode}", script=script)
        nav.get_by_role("link", name="Webhooks", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
        expect(page.get_by_role("navigation", name="Main")).to_be_hidden()  # closed again on the new page
        page.goto("/admin/team/api-keys?page=2")
        expect(page.locator("table#api-keys tbody tr")).to_have_count(5)
    assert not tour.problems, "\n".join(tour.problems)


def test_on_a_desktop_the_key_table_is_wide_and_names_fit_on_one_line(browser, server, screenshots_dir, created_keys):
    tour = Tour(1280, 800, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        page = pages.new(width=1280, height=800)
        signup(page)
        create_keys_over_http(page, NAMES[:3], created_keys)
        goto_api_keys(page)
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        table = page.locator("table#api-keys").bounding_box()
        assert table is not None and table["width"] >= 1100, table
        name = page.locator("table#api-keys a.key-name").first
        lines = name.evaluate("a => a.getClientRects().length")
        assert lines == 1, f"{NAMES[0]!r} takes {lines} lines"
        tour.look(page, "desktop-key-table")
    assert not tour.problems, "\n".join(tour.problems)
