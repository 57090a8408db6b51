"""Issuing, using, listing and deleting API keys, as the docs walk through it."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from support.api import EVENTS, KEY_INFO, assert_unauthorized, call_api
from support.browser import (
    shown_once_key,
    KEYS_URL,
    accept_invitation,
    cell,
    create_api_key,
    goto_api_keys,
    invite,
    keys_table,
    navigate_to_api_keys,
    signup,
    tab_to,
    table_row,
    team_slug,
    wait_until_last_used_is_shown,
)
from support.keys import KEY_RE
from support.web import new_user


def test_docs_workflow_create_copy_use_list_and_delete_an_api_key(page, server, api, created_keys):
    signup(page)

    navigate_to_api_keys(page)  # Admin → Team → API Keys, in the header's navigation
    expect(page.get_by_role("heading", level=1)).to_have_text("API Keys")
    expect(page.get_by_text("No API keys yet")).to_be_visible()

    page.get_by_role("link", name="Create API Key", exact=True).click()
    page.get_by_label("Name", exact=True).fill("CRM sync")
    with page.expect_response(lambda r: r.request.method == "POST") as created:
        page.get_by_role("button", name="Create", exact=True).click()
    assert "no-store" in (created.value.headers.get("cache-control") or ""), created.value.headers

    dialog = page.locator("dialog#new-key-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_have_attribute("open", "")
    key_input = dialog.locator("#new-api-key")
    expect(key_input).to_have_attribute("readonly", "")
    expect(key_input).to_have_attribute("aria-label", "New API key")
    key = key_input.input_value()
    created_keys.append(key)
    assert KEY_RE.match(key), f"{key!r} does not match {KEY_RE.pattern}"
    expect(dialog).to_contain_text("shown only once")

    copy = dialog.get_by_role("button", name="Copy", exact=True)
    copy.click()
    expect(dialog.get_by_role("button", name="Copied", exact=True)).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key

    dialog.get_by_role("button", name="Done", exact=True).click()
    expect(dialog).to_be_hidden()

    # The list, as rendered before the key was ever used.
    table = keys_table(page)
    row = table_row(table, "CRM sync")
    expect(row).to_have_count(1)
    expect(cell(table, row, "Key")).to_contain_text("…" + key[-4:])
    expect(cell(table, row, "Created")).not_to_have_text(re.compile(r"^\s*$"))
    expect(cell(table, row, "Created").locator("time")).to_have_attribute("title", re.compile(r"\d"))
    expect(cell(table, row, "Last used")).to_have_text("Never")

    # Use it.
    r = call_api(server.url, key, EVENTS, session=api)
    assert r.status_code == 200, f"{r.status_code} {r.text[:300]}"
    assert isinstance(r.json().get("data"), list), r.text[:300]

    r = call_api(server.url, key, KEY_INFO, session=api)
    assert r.status_code == 200, f"{r.status_code} {r.text[:300]}"
    info = r.json()
    assert info["name"] == "CRM sync"
    assert key[-4:] in info["preview"] and key not in r.text
    assert info["team"]["slug"]
    assert "events:read" in info["permissions"]

    last_used = wait_until_last_used_is_shown(page, "CRM sync")
    expect(last_used).not_to_have_text("Never")
    time_el = last_used.locator("time")
    expect(time_el).to_have_text(re.compile(r"just now|seconds? ago|minutes? ago"))
    expect(time_el).to_have_attribute("title", re.compile(r"\d"))

    # Shown only once: after a reload the key is nowhere on the page.
    assert key not in page.content()
    assert key[4:] not in page.content()

    # Delete it.
    page.get_by_label("Delete CRM sync", exact=True).click()
    page.get_by_role("button", name="Delete key", exact=True).click()
    expect(page).to_have_url(KEYS_URL)
    expect(table_row(keys_table(page), "CRM sync")).to_have_count(0)
    expect(page.get_by_text("No API keys yet")).to_be_visible()

    # Revoked at once.
    assert_unauthorized(call_api(server.url, key, EVENTS, session=api))


def test_reloading_after_creating_a_key_neither_shows_it_again_nor_creates_another(
    page, created_keys
):
    signup(page)
    goto_api_keys(page)
    page.get_by_role("link", name="Create API Key", exact=True).click()
    page.get_by_label("Name", exact=True).fill("Reload probe")
    page.get_by_role("button", name="Create", exact=True).click()
    key = page.locator("#new-api-key").input_value()
    created_keys.append(key)

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("API Keys")
    expect(page.locator("#new-api-key")).to_have_count(0)
    expect(table_row(keys_table(page), "Reload probe")).to_have_count(1)
    assert key not in page.content()


def test_api_rejects_missing_malformed_and_unknown_keys(server, api):
    assert_unauthorized(call_api(server.url, None, EVENTS, session=api))
    assert_unauthorized(call_api(server.url, "not-a-key", EVENTS, session=api))
    unknown = "kgb_" + "A" * 46
    assert_unauthorized(call_api(server.url, unknown, EVENTS, session=api))
    assert_unauthorized(call_api(server.url, unknown, KEY_INFO, session=api))


def test_revoking_and_granting_a_team_permission_with_the_cli_changes_api_access(
    page, server, api, created_keys
):
    user = signup(page)
    slug = team_slug(page)
    goto_api_keys(page)
    key = create_api_key(page, "Permissions probe", created_keys)
    assert call_api(server.url, key, EVENTS, session=api).status_code == 200

    server.run_cli("team", "permissions", slug, "--revoke", "events:read")
    r = call_api(server.url, key, EVENTS, session=api)
    assert r.status_code == 403, f"{r.status_code} {r.text[:300]}"
    assert 'error="insufficient_scope"' in r.headers.get("WWW-Authenticate", ""), r.headers
    page.goto("/admin/team")
    expect(page.get_by_role("heading", level=1)).to_have_text(user.team)
    expect(page.locator("li", has_text="events:write").first).to_be_visible()
    expect(page.locator("li").filter(has_text=re.compile(r"^\s*events:read\s*$"))).to_have_count(0)

    server.run_cli("team", "permissions", slug, "--grant", "events:read")
    r = call_api(server.url, key, EVENTS, session=api)
    assert r.status_code == 200, f"{r.status_code} {r.text[:300]}"
    page.reload()
    expect(page.locator("li").filter(has_text=re.compile(r"^\s*events:read\s*$"))).to_have_count(1)


def test_members_cannot_create_or_delete_api_keys(page, new_page, server, api, created_keys):
    admin = signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "Admin only", created_keys)

    member_page = new_page()
    member = signup(member_page, new_user("member"))  # with a team of their own first ...
    page.goto("/admin/team")
    invite(page, member.email)

    # ... then accept the invitation, which opens the admin's team, where they are a Member.
    accept_invitation(member_page, admin.team)

    goto_api_keys(member_page)
    expect(member_page.get_by_text("Only team admins can create or delete API keys.")).to_be_visible()
    expect(member_page.get_by_role("link", name="Create API Key", exact=True)).to_have_count(0)
    expect(member_page.get_by_label("Delete Admin only", exact=True)).to_have_count(0)
    expect(table_row(keys_table(member_page), "Admin only")).to_have_count(1)
    assert key not in member_page.content()

    # Going to the admin-only pages directly does not help either.
    member_page.goto("/admin/team/api-keys/new")
    expect(member_page.get_by_role("button", name="Create", exact=True)).to_have_count(0)
    assert call_api(server.url, key, EVENTS, session=api).status_code == 200


def test_keys_can_be_created_and_deleted_without_javascript(new_page, server, api, created_keys):
    page = new_page(javascript=False)
    signup(page)
    goto_api_keys(page)

    page.get_by_role("link", name="Create API Key", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/team/api-keys/new$"))
    page.get_by_label("Name", exact=True).fill("No JS")
    page.get_by_role("button", name="Create", exact=True).click()
    key = shown_once_key(page, created_keys)
    assert call_api(server.url, key, EVENTS, session=api).status_code == 200

    goto_api_keys(page)
    assert key not in page.content()
    page.get_by_label("Delete No JS", exact=True).click()
    page.get_by_role("button", name="Delete key", exact=True).click()
    expect(page).to_have_url(KEYS_URL)
    expect(table_row(keys_table(page), "No JS")).to_have_count(0)
    assert_unauthorized(call_api(server.url, key, EVENTS, session=api))


def test_keyboard_alone_creates_and_deletes_a_key_and_enter_twice_on_delete_deletes_nothing(
    page, server, api, created_keys
):
    signup(page)
    goto_api_keys(page)
    keyboard = page.keyboard

    tab_to(page, page.get_by_role("link", name="Create API Key", exact=True))
    keyboard.press("Enter")
    create = page.locator("dialog#create-key-dialog")
    expect(create.get_by_label("Name", exact=True)).to_be_focused()
    keyboard.type("Keyboard only")
    keyboard.press("Enter")
    shown = page.locator("dialog#new-key-dialog")
    expect(shown).to_be_visible()
    key = shown.locator("#new-api-key").input_value()
    created_keys.append(key)
    tab_to(page, shown.get_by_role("button", name="Copy", exact=True))
    keyboard.press("Enter")
    expect(shown.locator(".copy-status").first).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    tab_to(page, shown.get_by_role("button", name="Done", exact=True))
    keyboard.press("Enter")
    expect(shown).to_have_count(0)

    # Enter on Delete opens the confirmation with Cancel focused: a second Enter cancels.
    row = table_row(keys_table(page), "Keyboard only")
    delete = page.get_by_label("Delete Keyboard only", exact=True)
    confirm = page.locator("dialog#delete-key-dialog")
    tab_to(page, delete)
    keyboard.press("Enter")
    expect(confirm.get_by_role("button", name="Cancel", exact=True)).to_be_focused()
    keyboard.press("Enter")
    expect(confirm).to_be_hidden()
    expect(row).to_have_count(1)
    assert call_api(server.url, key, EVENTS, session=api).status_code == 200

    # Deleting takes a deliberate step to "Delete key".
    tab_to(page, delete)
    keyboard.press("Enter")
    expect(confirm.get_by_role("button", name="Cancel", exact=True)).to_be_focused()
    keyboard.press("Shift+Tab")
    expect(confirm.get_by_role("button", name="Delete key", exact=True)).to_be_focused()
    keyboard.press("Enter")
    expect(page).to_have_url(KEYS_URL)
    expect(table_row(keys_table(page), "Keyboard only")).to_have_count(0)
    assert_unauthorized(call_api(server.url, key, EVENTS, session=api))
