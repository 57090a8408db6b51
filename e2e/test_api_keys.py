"""Issuing, using, listing and deleting API keys, as the docs walk through it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from support.api import EVENTS, KEY_INFO, assert_unauthorized, call_api, event
from support.browser import (
    shown_once_key,
    KEYS_URL,
    Pages,
    accept_invitation,
    cell,
    create_api_key,
    goto_api_keys,
    invite,
    keys_table,
    login,
    navigate_to_api_keys,
    signup,
    tab_to,
    table_row,
    team_slug,
    wait_until_last_used_is_shown,
)
from support.keys import KEY_RE
from support.tour import Tour, in_both_windows
from support.web import new_user

ALL_OF_THE_TEAMS = re.compile(r"^All of the team’s permissions")
CONTRADICTION = "You chose all of the team’s permissions and also ticked some."


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


@in_both_windows
def test_ticking_a_permission_chooses_only_these_and_the_shown_once_dialog_says_what_the_key_can_do(
    browser, server, api, screenshots_dir, created_keys, width, height
):
    """Before issue 22 a ticked box under the preselected "All of the team’s permissions" was
    dropped without a word: the admin meant a read-only key and got one that could do everything
    the team can. Now ticking a box chooses "Only these", choosing all unticks the boxes, and the
    dialog that shows the key says what it can do, where the admin cannot miss it."""
    tour = Tour(width, height, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        page = pages.new(width=width, height=height)
        signup(page)
        goto_api_keys(page)
        page.get_by_role("link", name="Create API Key", exact=True).click()
        dialog = page.locator("dialog#create-key-dialog")
        expect(dialog).to_be_visible()
        dialog.get_by_label("Name", exact=True).fill("Read-only export")
        everything = dialog.get_by_role("radio", name=ALL_OF_THE_TEAMS)
        only = dialog.get_by_role("radio", name="Only these:")
        events_read = dialog.get_by_label("events:read", exact=True)
        expect(everything).to_be_checked()

        events_read.check()  # the radio is left alone
        expect(only).to_be_checked()
        expect(everything).not_to_be_checked()
        tour.look(page, "create-key-dialog-only-these")
        create = dialog.get_by_role("button", name="Create", exact=True)
        # Issue 28: Create in view without scrolling (the rarer options folded, the buttons sticky).
        tour.inside_window(page, create, "Create in the create-key dialog, unscrolled")
        more = dialog.locator("details#key-more-options")
        more.locator("summary").click()
        expect(dialog.get_by_label("Allowed client addresses (optional)", exact=True)).to_be_visible()
        tour.inside_window(page, create, "Create in the create-key dialog with More options open")
        tour.look(page, "create-key-dialog-only-these-end")
        everything.check()
        expect(events_read).not_to_be_checked()
        events_read.check()
        expect(only).to_be_checked()

        create.click()
        key = shown_once_key(page, created_keys)
        abilities = page.locator("dialog#new-key-dialog #new-key-abilities")
        expect(abilities.locator(".ability")).to_have_text(
            ["Permissions: only events:read.", "Events: all, including later ones.", "From: any address.",
             re.compile(r"^Expires: .* \(in 90 days\)\.$"), "May roll itself: no."])
        tour.inside_window(page, abilities, "the new key's abilities")
        tour.look(page, "shown-once-abilities")

    assert call_api(server.url, key, EVENTS, session=api).status_code == 200
    refused = call_api(server.url, key, EVENTS, method="POST", session=api, json=event("Not allowed"))
    assert refused.status_code == 403, refused.text
    assert not tour.problems, "\n".join(tour.problems)


@in_both_windows
def test_without_javascript_all_of_the_teams_permissions_and_a_ticked_box_are_refused_and_create_no_key(
    browser, server, screenshots_dir, width, height
):
    """Without script nothing keeps the choice and the boxes in step, so the server must not guess
    which one the admin meant: guessing "all" made a key more powerful than meant. It refuses the
    mix (422) and says how to fix it, and no key exists."""
    tour = Tour(width, height, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        tour.checker = pages.new(width=width, height=height)
        page = pages.new(javascript=False, width=width, height=height)
        signup(page)
        page.goto("/admin/team/api-keys/new")
        page.get_by_label("Name", exact=True).fill("Mixed choice")
        everything = page.get_by_role("radio", name=ALL_OF_THE_TEAMS)
        expect(everything).to_be_checked()
        page.get_by_label("events:read", exact=True).check()
        expect(everything).to_be_checked()  # no script: the radio stays on "all"
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.get_by_role("button", name="Create", exact=True).click()
        assert posted.value.status == 422, posted.value.status
        expect(page.locator("#key-permissions-error")).to_contain_text(CONTRADICTION)
        expect(page.locator("#new-api-key")).to_have_count(0)
        expect(page.get_by_label("Name", exact=True)).to_have_value("Mixed choice")
        tour.look(page, "key-new-all-and-ticked", script=False)

        goto_api_keys(page)
        expect(page.locator("#no-keys")).to_be_visible()
    assert not tour.problems, "\n".join(tour.problems)


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@in_both_windows
def test_pasting_a_whole_key_into_search_opens_its_page_and_puts_it_in_no_url(
    browser, server, screenshots_dir, created_keys, width, height, script
):
    """Issue 28: the search form was a GET, so a pasted key went into the address bar, the
    browser's history and the server's links, and found nothing. It now posts: the key is looked
    up by digest and its page opens; the shown form (…last four) finds it too."""
    tour = Tour(width, height, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        setup = pages.new(width=width, height=height)
        user = signup(setup)
        goto_api_keys(setup)
        key = create_api_key(setup, "Nightly export", created_keys)
        create_api_key(setup, "Door scanner", created_keys)

        tour.checker = setup
        page = pages.new(javascript=script, width=width, height=height)
        urls: list[str] = []
        page.on("request", lambda request: urls.append(request.url))
        login(page, user.email, user.password)
        goto_api_keys(page)
        page.get_by_label("Search", exact=True).fill(key)
        page.get_by_role("button", name="Show", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nightly export")
        expect(page.get_by_text("That is the secret of “Nightly export”.")).to_be_visible()
        tour.look(page, f"key-found-by-secret-{'script' if script else 'no-script'}", script=script)

        goto_api_keys(page)
        page.get_by_label("Search", exact=True).fill("…" + key[-4:])
        page.get_by_role("button", name="Show", exact=True).click()
        expect(keys_table(page).locator("a.key-name")).to_have_text(["Nightly export"])
        tour.look(page, f"key-found-by-last-four-{'script' if script else 'no-script'}", script=script)

    assert urls and not [u for u in urls if key in u or key[4:] in u], "the key went into a URL"
    assert not tour.problems, "\n".join(tour.problems)
