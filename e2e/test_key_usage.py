"""What a key does, on its page: usage counted without a write per request, flushed in batches."""

from __future__ import annotations

import datetime as dt
import time

from playwright.sync_api import expect

from support.api import EVENTS, auth, call_api, event
from support.browser import create_api_key, goto_api_keys, signup
from support import sqlite
from support.http import http


def test_the_key_page_shows_count_exact_last_use_address_client_and_the_charts_table_then_restricts_the_key(
        page, server, created_keys):
    base = server.url
    signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "Usage probe", created_keys)

    with http() as s:
        for i in range(12):
            agent = "crm-sync/2.1 (+https://crm.example)" if i % 2 else "analytics-export/0.9"
            r = s.get(base + EVENTS, headers={**auth(key), "User-Agent": agent}, timeout=30)
            assert r.status_code == 200, r.text
        last_request_at = time.time()
    time.sleep(2.5)  # the server flushes usage every second (test setting)

    page.locator("table#api-keys").get_by_role("link", name="Usage probe", exact=True).click()
    expect(page.locator("#usage-total")).to_contain_text("12 requests")
    last_used = page.locator("#key-last-used time")
    shown = dt.datetime.fromisoformat(last_used.get_attribute("datetime").replace("Z", "+00:00")).timestamp()
    assert abs(shown - last_request_at) < 5, (shown, last_request_at)
    expect(last_used).to_contain_text(time.strftime("%Y-%m-%d", time.gmtime(last_request_at)))
    expect(page.locator("#key-last-address")).to_have_text("127.0.0.1")
    expect(page.locator("#key-last-user-agent")).to_have_text("crm-sync/2.1 (+https://crm.example)")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    table = page.get_by_role("table", name="Requests per day, newest first")
    first_row = table.locator("tbody tr").first
    expect(first_row.locator("th")).to_have_text(today)
    assert first_row.locator("td").all_inner_texts() == ["12", "0", "0", "0", "12"]
    expect(page.locator("#key-addresses")).to_contain_text("127.0.0.1")
    expect(page.locator("#permissions-used")).to_contain_text("events:read — used 12 times")

    # Minutes old, it is too early to suggest taking anything away; a week later it is not.
    expect(page.locator("#advisor-too-early")).to_contain_text("Too early to tell")
    expect(page.get_by_role("link", name="Restrict to what it uses", exact=True)).to_have_count(0)
    sqlite.age_key(server.sqlite_path, key, days=8)
    page.reload()
    page.get_by_role("link", name="Restrict to what it uses", exact=True).click()
    expect(page.locator("#restrict-used")).to_have_text("events:read")
    page.get_by_role("button", name="Restrict the key", exact=True).click()
    expect(page.locator("#key-permissions")).to_have_text("events:read")
    refused = call_api(base, key, EVENTS, method="POST", json=event("After restricting"))
    assert refused.status_code == 403, refused.text
    assert call_api(base, key, EVENTS).status_code == 200


def test_a_key_list_of_many_is_searched_and_filtered_by_links_without_javascript(new_page, server, created_keys):
    page = new_page(javascript=False)
    signup(page)
    for name in ("Alpha export", "Beta sync", "Gamma sync"):
        page.goto("/admin/team/api-keys/new")
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_role("button", name="Create", exact=True).click()
        created_keys.append(page.locator("#new-api-key").input_value())
    page.goto("/admin/team/api-keys")
    page.get_by_label("Search", exact=True).fill("sync")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("#key-count")).to_have_text("2 keys")
    expect(page.locator("table#api-keys")).not_to_contain_text("Alpha export")
    page.get_by_role("link", name="Name", exact=True).click()
    names = page.locator("table#api-keys .key-name").all_inner_texts()
    assert names == ["Beta sync", "Gamma sync"], names
