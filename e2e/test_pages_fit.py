"""Every page, in Chromium at a phone's window (390×844) and a laptop's (1280×800): signed out, as an
admin of a team with a long name and 60 API keys, and as a member of it. On each page state: nothing
scrolls sideways, axe-core finds no violation, a screenshot is kept (the folder is printed at the end
of the run), and at the end every link the pages showed answers (and its #fragment exists). The
shown-once key dialog keeps its key, Copy and Done inside the window, and Copy copies the exact key."""

from __future__ import annotations

import re
import time

from playwright.sync_api import Page, expect

from support import sqlite
from support.api import EVENTS, call_api
from support.browser import (
    Pages,
    accept_invitation,
    answer_confirmation,
    say_yes,
    create_keys_over_http,
    fill_event_form,
    goto_api_keys,
    invite,
    login,
    open_menu,
    signup,
    team_slug,
)
from support.tour import Tour, in_both_windows
from support.web import new_user

LONG_TEAM = "International Association of Extraordinarily Thorough Festival Organisers"  # + a tag: < 100
KEYS = 60  # the session's server lets a team hold 60 (conftest.py)


@in_both_windows
def test_every_page_fits_the_window_passes_axe_and_links_resolve(
    browser, server, api, screenshots_dir, width, height, created_keys
):
    tour = Tour(width, height, screenshots_dir, server.url)
    with Pages(browser, server.url, screenshots_dir) as pages:
        def new(javascript: bool = True) -> Page:
            return pages.new(javascript=javascript, width=width, height=height)

        tour.checker = new()
        anonymous, admin_page, member_page = new(), new(), new()
        admin = signup(admin_page, _long_team_user())
        member = signup(member_page, new_user("member"))
        signed_out_pages(tour, anonymous, admin.email)
        key = admin_key_pages(tour, admin_page, new(javascript=False), admin, server, api, created_keys)
        team_and_events_pages(tour, admin_page, member_page, admin, member)
        member_pages(tour, member_page, member, created_keys)
        pages_without_event_permissions(tour, admin_page, server)
        tour.follow_links()
    assert tour.followed > 50, f"only {tour.followed} links followed"
    assert key
    assert len(tour.visited) >= 45, tour.visited
    assert not tour.problems, f"{len(tour.problems)} problems:\n" + "\n".join(tour.problems)


def _long_team_user():
    user = new_user("admin")
    user.team = f"{LONG_TEAM} {user.team}"
    return user


def signed_out_pages(tour: Tour, page: Page, taken_email: str) -> None:
    page.goto("/login")
    tour.look(page, "login")
    login(page, f"nobody-{time.time_ns()}@example.com", "not the password")
    expect(page.get_by_role("alert")).to_contain_text("Incorrect email or password.")
    tour.look(page, "login-refused")
    page.goto("/signup")
    tour.look(page, "signup")
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("There are 4 problems")
    tour.look(page, "signup-problems")
    page.get_by_label("Name", exact=True).fill("Someone Else")
    page.get_by_label("Email", exact=True).fill(taken_email)
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_label("Team name", exact=True).fill("Other team")
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page.get_by_role("link", name="Log in instead", exact=True)).to_be_visible()
    tour.look(page, "signup-email-taken")
    page.goto("/docs/api")
    tour.look(page, "api-reference")
    assert page.goto("/no-such-page").status == 404
    tour.look(page, "not-found")


def admin_key_pages(tour: Tour, page: Page, no_script: Page, admin, server, api, created_keys) -> str:
    expect(page.get_by_role("heading", name="Next steps")).to_be_visible()
    tour.look(page, "team-next-steps")
    page.goto("/admin")
    tour.look(page, "admin")
    goto_api_keys(page)
    tour.look(page, "api-keys-empty")

    page.get_by_role("link", name="Create API Key", exact=True).click()
    create = page.locator("dialog#create-key-dialog")
    expect(create).to_be_visible()
    tour.look(page, "create-key-dialog")
    create.get_by_role("button", name="Create", exact=True).click()
    expect(create).to_be_visible()
    expect(create.locator("#key-name-error")).to_have_text("Name is required.")
    expect(create.get_by_label("Name", exact=True)).to_be_focused()
    tour.look(page, "create-key-dialog-problems")
    create.get_by_label("Name", exact=True).fill("CRM sync")
    create.get_by_role("button", name="Create", exact=True).click()
    key = shown_once(tour, page, "shown-once-dialog", server, created_keys)

    # The key list, then the key's page; rolling shows a new secret there, once.
    tour.look(page, "api-keys-one")
    page.get_by_role("link", name="CRM sync", exact=True).click()
    key_url = page.url
    tour.look(page, "key-page")
    page.get_by_role("button", name="Roll key", exact=True).click()
    tour.look(page, "roll-confirm-dialog")
    say_yes(page, "Roll key")
    key = shown_once(tour, page, "shown-once-rolled", server, created_keys)
    tour.look(page, "key-page-after-roll")

    page.get_by_role("link", name="Edit name, permissions, events and addresses", exact=True).click()
    tour.look(page, "key-edit")
    page.get_by_label("Name", exact=True).fill("")
    page.get_by_label("Allowed client addresses (optional)", exact=True).fill("300.1.2.3")
    page.get_by_label("Requests per minute (optional)", exact=True).fill("0")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".error-summary")).to_contain_text("There are 3 problems")
    expect(page.locator("#key-rate-limit-error")).to_contain_text("must be at least 1")
    tour.look(page, "key-edit-problems")

    # Use the key for one permission; once the use is recorded, the key offers to be narrowed.
    assert call_api(server.url, key, EVENTS, session=api).status_code == 200
    sqlite.age_key(server.sqlite_path, key, days=8)  # the advisor watches a key for a week first
    restrict = page.get_by_role("link", name="Restrict to what it uses", exact=True)
    for _ in range(20):
        page.goto(key_url)
        if restrict.count():
            break
        time.sleep(0.5)
    restrict.click()
    tour.look(page, "key-restrict")
    page.goto(key_url + "/delete")
    expect(page.get_by_role("link", name="Cancel", exact=True)).to_be_focused()
    tour.look(page, "key-delete-page")
    page.goto("/admin/team/api-keys/new")
    tour.look(page, "key-new-page")
    page.get_by_role("button", name="Create", exact=True).click()
    expect(page.locator("#key-name-error")).to_have_text("Name is required.")
    tour.look(page, "key-new-page-problems")

    # Without script the new key is the first thing on the page.
    login(no_script, admin.email, admin.password)
    no_script.goto("/admin/team/api-keys/new")
    no_script.get_by_label("Name", exact=True).fill("No script")
    no_script.get_by_role("button", name="Create", exact=True).click()
    shown = no_script.locator("dialog#new-key-dialog[open]")
    expect(shown).to_be_visible()
    created_keys.append(shown.locator("#new-api-key").input_value())
    assert no_script.evaluate("window.scrollY") == 0
    order = no_script.evaluate("[...document.querySelectorAll('main #new-api-key, main h1')].map(e => e.id || e.tagName)")
    assert order[0] == "new-api-key", order
    tour.inside_window(no_script, shown.locator("#new-api-key"), "the new key without script")
    tour.look(no_script, "shown-once-no-script", script=False)

    # A team at its limit of 60 keys: the list pages, the limit explained.
    create_keys_over_http(page, [f"Nightly attendee export to the regional CRM, integration {i:02d}" for i in range(KEYS - 2)],
                          created_keys)
    goto_api_keys(page)
    expect(page.locator("#key-count")).to_have_text(f"{KEYS} keys")
    expect(page.locator("#key-limit")).to_be_visible()
    expect(page.get_by_role("link", name="Create API Key", exact=True)).to_have_count(0)
    tour.look(page, "api-keys-60")
    page.locator("table#api-keys tbody tr").first.get_by_role("link", name=re.compile("^Delete ")).click()
    delete = page.locator("dialog#delete-key-dialog")
    expect(delete).to_be_visible()
    expect(delete.get_by_role("button", name="Cancel", exact=True)).to_be_focused()
    tour.look(page, "delete-key-dialog")
    page.keyboard.press("Enter")
    expect(delete).to_be_hidden()
    page.get_by_role("link", name="Next", exact=True).click()
    tour.look(page, "api-keys-page-2")
    page.goto("/admin/team/api-keys?q=nothing+is+called+this")
    tour.look(page, "api-keys-no-match")
    page.goto("/admin/team/api-keys/new")
    expect(page.locator("#key-limit")).to_contain_text("the most a team can hold")
    expect(page.get_by_role("button", name="Create", exact=True)).to_have_count(0)
    tour.look(page, "key-limit-page")
    return key


def shown_once(tour: Tour, page: Page, name: str, server, created_keys) -> str:
    """The dialog that shows a new key: the key whole and readable, Copy and Done in the window;
    Copy copies exactly the key and says so; the example request holds it. Closes it with Done."""
    dialog = page.locator("dialog#new-key-dialog")
    expect(dialog).to_be_visible()
    field = dialog.locator("#new-api-key")
    key = field.input_value()
    created_keys.append(key)
    copy = dialog.get_by_role("button", name="Copy", exact=True)
    done = dialog.get_by_role("button", name="Done", exact=True)
    for what, locator in [("the new key", field), ("Copy", copy), ("Done", done),
                          ("the shown-once warning", dialog.get_by_role("alert"))]:
        tour.inside_window(page, locator, f"{what} ({name})")
    hidden = field.evaluate("f => [f.scrollWidth - f.clientWidth, f.scrollHeight - f.clientHeight]")
    if max(hidden) > 1:
        tour.problems.append(f"{name} at {tour.width}px: part of the key is hidden in its field ({hidden})")
    example = dialog.locator("#new-key-example")
    expect(example).to_contain_text(f"Bearer {key}")
    expect(example).to_contain_text(f"{server.url}/api/v1/organizer/events")
    copy.click()
    expect(dialog.get_by_role("button", name="Copied", exact=True)).to_be_visible()
    expect(dialog.locator(".copy-status").first).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == key
    tour.look(page, name)
    done.click()
    expect(dialog).to_have_count(0)
    return key


def team_and_events_pages(tour: Tour, page: Page, member_page: Page, admin, member) -> None:
    page.goto("/admin/team")
    invite(page, member.email, role="Member")
    invite(page, "someone.with.a.rather.long.address@events-and-conferences.example.com")
    member_page.goto("/admin")
    expect(member_page.get_by_role("region", name=f"Invitation to {admin.team}")).to_be_visible()
    tour.look(member_page, "invitation-banner")
    accept_invitation(member_page, admin.team)
    tour.look(member_page, "joined")
    page.goto("/admin/team")
    tour.look(page, "team-with-members")
    page.get_by_label("Member email", exact=True).fill("not an address")
    page.get_by_role("button", name="Add member", exact=True).click()
    expect(page.locator("#member-email-error")).to_contain_text("Enter a valid email address")
    tour.look(page, "team-add-member-problem")
    page.goto("/admin/team")
    page.get_by_label("Requests per minute, all keys together", exact=True).fill("ten")
    page.locator("#team-budget").get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#team-rate-limit-error")).to_contain_text("must be a whole number")
    tour.look(page, "team-budget-problem")
    page.get_by_label("Requests per minute, all keys together", exact=True).fill("5000")
    page.locator("#team-budget").get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_label("Requests per minute, all keys together", exact=True)).to_have_value("5000")
    # Without script, Remove asks on a page of its own (submitted here without the dialog).
    page.goto("/admin/team")
    asked_without_script(tour, page, "form[action$='/remove']", f"Remove {member.name} from {admin.team}?",
                         f"Keep {member.name}", "remove-member-page")
    expect(page.locator("main")).to_contain_text(member.email)
    page.goto("/admin/team/activity")
    tour.look(page, "activity")
    page.goto("/admin/team/delete")
    tour.look(page, "team-delete-with-others")

    page.goto("/admin/events")
    tour.look(page, "events-empty")
    page.get_by_role("link", name="Create event", exact=True).click()
    tour.look(page, "event-new")
    fill_event_form(page, {"Starts at": "2027-05-01T09:00", "Ends at": "2027-05-01T08:00"})
    page.get_by_role("button", name="Create event", exact=True).click()
    expect(page.locator("#event-ends-error")).to_have_text("End must be after start.")
    expect(page.locator("#event-name-error")).to_have_text("Enter the event’s name.")
    tour.look(page, "event-new-problems")
    fill_event_form(page, {
        "Name": "Swift Summit of the Extraordinarily Long Event Names, Autumn Edition", "Ends at": "2027-05-01T17:00",
        "Time zone": "Europe/Berlin", "Venue": "Kongresshaus am Zürichsee, Gotthardstrasse 5, 8002 Zürich",
    })
    page.get_by_role("button", name="Create event", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Swift Summit")
    page.get_by_label("Attendee name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Attendee email", exact=True).fill("ada.lovelace@analytical-engines.example.com")
    page.get_by_role("button", name="Add attendee", exact=True).click()
    expect(page.locator("table#attendees")).to_contain_text("ada.lovelace")
    tour.look(page, "event")
    page.get_by_role("button", name="Add attendee", exact=True).click()
    expect(page.locator("#attendee-name-error")).to_have_text("Enter the attendee’s name.")
    tour.look(page, "event-attendee-problems")
    page.get_by_role("button", name="Cancel registration of Ada Lovelace", exact=True).click()
    expect(page.locator("dialog#confirm-dialog").get_by_role("button", name="Keep registration")).to_be_focused()
    tour.look(page, "cancel-registration-confirm")
    answer_confirmation(page, "Keep registration")
    expect(page.locator("table#attendees")).to_contain_text("Registered")
    # Without script the same button leads to a page that asks (submitted here without the dialog);
    # the row's first form is Check in.
    asked_without_script(tour, page, "table#attendees form[action$='/cancel']",
                         "Cancel the registration of Ada Lovelace?", "Keep registration", "cancel-registration-page")
    expect(page.locator("table#attendees")).to_contain_text("Registered")
    page.get_by_role("link", name="Edit event", exact=True).click()
    tour.look(page, "event-edit")
    page.goto("/admin/events")
    tour.look(page, "events")


def asked_without_script(tour: Tour, page: Page, form: str, question: str, keep: str, name: str) -> None:
    """Sends `form` as a browser without script would (no dialog): the page that asks comes back,
    its safe choice focused; looks at it and takes the safe choice."""
    page.locator(form).first.evaluate("form => form.submit()")
    expect(page.get_by_role("heading", level=1)).to_have_text(question)
    expect(page.get_by_role("link", name=keep, exact=True)).to_be_focused()
    tour.look(page, name)
    page.get_by_role("link", name=keep, exact=True).click()


def member_pages(tour: Tour, page: Page, member, created_keys) -> None:
    page.goto("/admin/team")
    tour.look(page, "member-team")
    goto_api_keys(page)
    tour.look(page, "member-api-keys")
    page.locator("table#api-keys a.key-name").first.click()
    tour.look(page, "member-key-page")
    page.goto("/admin/team/api-keys/new")
    tour.look(page, "member-key-new")
    page.goto("/admin/team/activity")
    tour.look(page, "member-activity")
    page.goto("/admin/events")
    tour.look(page, "member-events")
    page.locator("table#events a").first.click()
    tour.look(page, "member-event")
    assert page.goto("/admin/team/delete").status == 403
    tour.look(page, "member-forbidden")
    tour.follow_links(of=page)  # while the member still works in the admin's team

    # Back to their own team, where they are alone with a key: leaving is refused, deleting names it.
    open_menu(page)
    page.get_by_label("Current team", exact=True).select_option(label=member.team)
    page.get_by_role("button", name="Switch", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Switched to {member.team}.")
    tour.look(page, "team-switched")
    create_keys_over_http(page, ["Analytics export"], created_keys)
    page.goto("/admin/team")
    # Without script, Leave team asks on a page of its own (submitted here without the dialog).
    asked_without_script(tour, page, "form[action='/admin/team/leave']", f"Leave {member.team}?",
                         "Stay in the team", "leave-page")
    page.get_by_role("button", name="Leave team", exact=True).click()
    answer_confirmation(page, "Leave team")
    expect(page.get_by_role("alert")).to_contain_text("You are the last member")
    tour.look(page, "leave-refused")
    page.goto("/admin/team/delete")
    expect(page.get_by_role("button", name="Delete team and 1 API key", exact=True)).to_be_visible()
    tour.look(page, "team-delete")


def pages_without_event_permissions(tour: Tour, page: Page, server) -> None:
    """The events pages as a team without events:write and attendees:write sees them."""
    tour.follow_links(of=page)  # while the team may still change events
    slug = team_slug(page)
    page.goto("/admin/events")
    event_url = page.locator("table#events a").first.get_attribute("href")
    server.run_cli("team", "permissions", slug, "--revoke", "events:write,attendees:write")
    page.goto("/admin/events")
    expect(page.locator("#events-note")).to_contain_text("events:write")
    tour.look(page, "events-without-write")
    page.goto(event_url)
    expect(page.locator("#attendees-note")).to_contain_text("attendees:write")
    tour.look(page, "event-without-write")
    assert page.goto("/admin/events/new").status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("403"))
    tour.look(page, "event-form-refused")
