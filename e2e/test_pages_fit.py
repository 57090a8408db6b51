"""The pages issue 11 added or changed, in Chromium at a phone's width (390 px) and a laptop's
(1280 px): none is wider than the window, and a screenshot of each is kept for a person to look
at (the path is printed: `pytest -s`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from support.browser import Pages, accept_invitation, create_api_key, goto_api_keys, invite, signup


def look(page: Page, name: str, width: int, shots) -> None:
    page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{name} at {width}px is {overflow}px wide"


@pytest.mark.parametrize("width", [390, 1280])
def test_every_changed_page_fits_the_window(browser, server, artifacts_dir, width, created_keys):
    shots = artifacts_dir / "pages"
    shots.mkdir(exist_ok=True)
    print(f"\nscreenshots: {shots}")
    with Pages(browser, server.url, artifacts_dir) as pages:
        anonymous = pages.new(width=width)
        anonymous.goto("/login")
        look(anonymous, "login", width, shots)
        anonymous.goto("/signup")
        look(anonymous, "signup", width, shots)

        admin_page, invitee_page = pages.new(width=width), pages.new(width=width)
        admin = signup(admin_page)
        invitee = signup(invitee_page)
        goto_api_keys(admin_page)
        create_api_key(admin_page, "CRM sync", created_keys)
        admin_page.goto("/admin/team")
        invite(admin_page, invitee.email, role="Admin")
        invite(admin_page, "someone.with.a.rather.long.address@events.example.com")
        look(admin_page, "team-with-invitations", width, shots)

        invitee_page.goto("/admin")
        look(invitee_page, "invitation-banner", width, shots)
        accept_invitation(invitee_page, admin.team)
        look(invitee_page, "joined", width, shots)

        admin_page.goto("/admin/team/delete")
        look(admin_page, "team-delete-with-others", width, shots)

        # A team of one with a key: leaving is refused, deleting names the keys.
        solo_page = pages.new(width=width)
        signup(solo_page)
        goto_api_keys(solo_page)
        create_api_key(solo_page, "Analytics export", created_keys)
        solo_page.goto("/admin/team")
        solo_page.once("dialog", lambda dialog: dialog.accept())
        solo_page.get_by_role("button", name="Leave team", exact=True).click()
        expect(solo_page.get_by_role("alert")).to_contain_text("You are the last member")
        look(solo_page, "leave-refused", width, shots)
        solo_page.goto("/admin/team/delete")
        expect(solo_page.get_by_role("button", name="Delete team and 1 API key", exact=True)).to_be_visible()
        look(solo_page, "team-delete", width, shots)

        # The events pages as a team without events:write and attendees:write sees them.
        admin_page.goto("/admin/events/new")
        admin_page.get_by_label("Name", exact=True).fill("Swift Summit")
        admin_page.get_by_label("Starts at", exact=True).fill("2027-05-01T09:00")
        admin_page.get_by_label("Ends at", exact=True).fill("2027-05-01T17:00")
        admin_page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
        admin_page.get_by_role("button", name="Create event", exact=True).click()
        expect(admin_page.get_by_role("heading", level=1)).to_have_text("Swift Summit")
        event_url = admin_page.url
        admin_page.goto("/admin/team")
        slug = admin_page.locator("#team-slug code").inner_text().strip()
        server.run_cli("team", "permissions", slug, "--revoke", "events:write,attendees:write")
        admin_page.goto("/admin/events")
        expect(admin_page.locator("#events-note")).to_contain_text("events:write")
        look(admin_page, "events-without-write", width, shots)
        admin_page.goto(event_url)
        expect(admin_page.locator("#attendees-note")).to_contain_text("attendees:write")
        look(admin_page, "event-without-write", width, shots)
        response = admin_page.goto("/admin/events/new")
        assert response.status == 403
        expect(admin_page.get_by_role("heading", level=1)).to_have_text(re.compile("403"))
        look(admin_page, "event-form-refused", width, shots)
