"""Accounts, sessions and team membership, through the browser."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from playwright.sync_api import expect

from support.browser import (
    TEAM_URL,
    accept_invitation,
    answer_confirmation,
    cell,
    invite,
    login,
    logout,
    members_table,
    signup,
    table_row,
)

PERMISSIONS = ["events:read", "events:write", "attendees:read", "attendees:write", "attendees:check_in"]


def test_signup_lands_on_team_page_with_team_name_and_self_as_admin(page):
    user = signup(page)

    expect(page.get_by_role("heading", level=1)).to_have_text(user.team)
    members = members_table(page)
    row = table_row(members, user.email)
    expect(row).to_have_count(1)
    expect(cell(members, row, "Name")).to_contain_text(user.name)
    expect(cell(members, row, "Email")).to_contain_text(user.email)
    expect(cell(members, row, "Role")).to_have_text("Admin")

    slug = page.locator("#team-slug")
    expect(slug).to_contain_text("Slug:")
    expect(slug.locator("code")).to_have_text(re.compile(r"^acme-[a-z0-9-]+$"))
    for permission in PERMISSIONS:
        expect(page.locator("li", has_text=permission).first).to_be_visible()


def test_logout_then_wrong_password_shows_generic_message_and_right_one_logs_in(page):
    user = signup(page)
    logout(page)

    login(page, user.email, user.password + "x")
    expect(page.get_by_text("Incorrect email or password.")).to_be_visible()
    expect(page).not_to_have_url(TEAM_URL)

    # An unknown email gets the very same message.
    login(page, "nobody-" + user.email, user.password)
    expect(page.get_by_text("Incorrect email or password.")).to_be_visible()

    login(page, user.email, user.password)
    expect(page).to_have_url(TEAM_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(user.team)


def test_admin_invites_by_email_and_the_invitee_joins_only_by_accepting(page, new_page):
    admin = signup(page)
    other_page = new_page()
    other = signup(other_page)

    # The same answer for an address without an account and for one with an account.
    invite(page, "nobody-" + other.email)
    invite(page, other.email)
    invitations = page.locator("table#invitations")
    expect(table_row(invitations, "nobody-" + other.email)).to_have_count(1)
    expect(table_row(invitations, other.email).filter(has_not_text="nobody-")).to_have_count(1)
    expect(page.get_by_text(other.name)).to_have_count(0)  # the page never names the account holder
    expect(table_row(members_table(page), other.email)).to_have_count(0)

    # Nothing changes for the invitee until they accept, from the banner on their next page.
    other_page.reload()
    expect(other_page.get_by_role("heading", level=1)).to_have_text(other.team)
    expect(other_page.get_by_label("Current team", exact=True)).to_have_count(0)
    banner = other_page.get_by_role("region", name=f"Invitation to {admin.team}")
    expect(banner).to_contain_text(admin.email)
    accept_invitation(other_page, admin.team)
    expect(other_page.get_by_role("status")).to_contain_text(f"You joined {admin.team} as Member.")
    members = members_table(other_page)
    expect(cell(members, table_row(members, other.email), "Role")).to_have_text("Member")
    # Members get no admin controls.
    expect(other_page.get_by_role("button", name="Add member", exact=True)).to_have_count(0)
    expect(other_page.get_by_role("button", name=re.compile(r"^Remove\b"))).to_have_count(0)
    expect(other_page.get_by_role("button", name="Change role", exact=True)).to_have_count(0)
    expect(other_page.get_by_role("button", name="Leave team", exact=True)).to_be_visible()

    # The admin sees the new member, and withdraws the other invitation.
    page.reload()
    expect(cell(members_table(page), table_row(members_table(page), other.email), "Role")).to_have_text("Member")
    page.get_by_role("button", name=f"Withdraw the invitation to nobody-{other.email}", exact=True).click()
    expect(page.get_by_text("No pending invitations.")).to_be_visible()


def test_admin_changes_a_members_role_then_removes_them(page, new_page):
    admin = signup(page)
    other_page = new_page()
    other = signup(other_page)

    invite(page, other.email)
    accept_invitation(other_page, admin.team)
    page.reload()
    members = members_table(page)
    row = table_row(members, other.email)
    expect(cell(members, row, "Role")).to_have_text("Member")

    row.get_by_label(f"Role for {other.name}", exact=True).select_option(label="Admin")
    row.get_by_role("button", name="Change role", exact=True).click()
    row = table_row(members_table(page), other.email)
    expect(cell(members_table(page), row, "Role")).to_have_text("Admin")

    # "Remove" asks first, in a dialog, when JavaScript runs; Cancel keeps the member.
    row.get_by_role("button", name=f"Remove {other.name}", exact=True).click()
    answer_confirmation(page, "Cancel")
    expect(table_row(members_table(page), other.email)).to_have_count(1)
    row.get_by_role("button", name=f"Remove {other.name}", exact=True).click()
    answer_confirmation(page, "Remove")
    expect(table_row(members_table(page), other.email)).to_have_count(0)


def test_login_opens_the_team_used_last(page, new_page):
    admin = signup(page)
    other_page = new_page()
    other = signup(other_page)
    invite(page, other.email)
    accept_invitation(other_page, admin.team)  # now working in the admin's team
    other_page.get_by_label("Current team", exact=True).select_option(label=other.team)
    other_page.get_by_role("button", name="Switch", exact=True).click()
    expect(other_page.get_by_role("heading", level=1)).to_have_text(other.team)
    logout(other_page)
    login(other_page, other.email, other.password)
    expect(other_page.get_by_role("heading", level=1)).to_have_text(other.team)


def test_post_without_valid_csrf_token_is_forbidden(page):
    signup(page)
    page.goto("/admin/team/api-keys")
    # The create form (it may sit in a closed <dialog>): post to its action
    # with the page's own session cookie but without / with a wrong token.
    form = page.locator("form").filter(
        has=page.locator("button", has_text=re.compile(r"^\s*Create\s*$"))
    )
    expect(form.locator("input[type=hidden][name=_csrf]")).to_have_count(1)
    action = urljoin(page.url, form.first.get_attribute("action") or page.url)

    r = page.request.post(action, form={"name": "no token"}, max_redirects=0)
    assert r.status == 403, f"{r.status} {r.text()[:300]}"
    r = page.request.post(action, form={"name": "bad token", "_csrf": "x" * 43}, max_redirects=0)
    assert r.status == 403, f"{r.status} {r.text()[:300]}"

    page.reload()
    expect(page.get_by_text("No API keys yet")).to_be_visible()

    # Same for logging out: no token, no logout.
    logout_form = page.locator("form").filter(
        has=page.locator("button", has_text=re.compile(r"^\s*Log out\s*$"))
    )
    action = urljoin(page.url, logout_form.first.get_attribute("action") or page.url)
    r = page.request.post(action, form={}, max_redirects=0)
    assert r.status == 403, f"{r.status} {r.text()[:300]}"
    page.reload()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
