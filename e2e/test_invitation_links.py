"""Issue 28, point 2: an invited person needs no team of their own. The admin copies the
invitation's link from the Team page and sends it; the invitee signs up from it without naming a
team and lands in the inviting team. The link works once, and only for the invited address."""

from __future__ import annotations

import secrets
import string
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from support.browser import TEAM_URL, Pages, invite, members_table, signup, table_row
from support.http import http
from support.tour import Tour, in_both_windows
from support.web import new_user



@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@in_both_windows
def test_an_invited_address_signs_up_from_the_link_without_naming_a_team_and_lands_in_the_inviting_team(
    browser, server, screenshots_dir, width, height, script
):
    tour = Tour(width, height, screenshots_dir, server.url)
    mode = "script" if script else "no-script"
    with Pages(browser, server.url, screenshots_dir) as pages:
        tour.checker = pages.new(width=width, height=height)
        admin_page = pages.new(javascript=script, width=width, height=height)
        admin = signup(admin_page)
        invitee = new_user("marta")
        invite(admin_page, invitee.email)
        row = table_row(admin_page.locator("table#invitations"), invitee.email)
        field = row.get_by_label(f"Invitation link for {invitee.email}", exact=True)
        link = field.input_value()
        assert "/join/" in link and link.startswith(server.url), link
        copy = row.get_by_role("button", name=f"Copy the invitation link for {invitee.email}", exact=True)
        if script:
            copy.click()
            expect(row.locator(".copy-status")).to_have_text("Copied to the clipboard.")
            assert admin_page.evaluate("navigator.clipboard.readText()") == link
        else:
            expect(copy).to_be_hidden()  # no script, no Copy: the field is there to select
        tour.look(admin_page, f"team-invitation-link-{mode}", script=script)

        page = pages.new(javascript=script, width=width, height=height)
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Join {admin.team} on Kagibag")
        expect(page.locator("#invitation-offer")).to_contain_text(admin.email)
        expect(page.get_by_label("Team name", exact=True)).to_have_count(0)
        email = page.get_by_label("Email", exact=True)
        expect(email).to_have_value(invitee.email)
        expect(email).to_have_attribute("readonly", "")
        tour.look(page, f"join-signup-{mode}", script=script)
        page.get_by_label("Name", exact=True).fill(invitee.name)
        page.get_by_label("Password", exact=True).fill(invitee.password)
        page.get_by_role("button", name=f"Sign up and join {admin.team}", exact=True).click()
        expect(page).to_have_url(TEAM_URL)
        expect(page.get_by_role("heading", level=1)).to_have_text(admin.team)
        expect(page.get_by_role("status")).to_contain_text(f"Welcome to {admin.team}. You joined it as Member.")
        expect(page.get_by_label("Current team", exact=True)).to_have_count(0)  # one team: no other was made
        tour.look(page, f"join-landed-{mode}", script=script)

        # Used once: the link now says so, to anyone; the admin sees a member, no invitation.
        stranger = pages.new(javascript=script, width=width, height=height)
        answer = stranger.goto(link)
        assert answer is not None and answer.status == 404
        expect(stranger.get_by_role("heading", level=1)).to_have_text("This invitation link no longer works")
        tour.look(stranger, f"join-gone-{mode}", script=script)
        admin_page.reload()
        expect(table_row(members_table(admin_page), invitee.email)).to_have_count(1)
        expect(admin_page.get_by_text("No pending invitations.")).to_be_visible()
    assert not tour.problems, "\n".join(tour.problems)


def test_a_link_opened_while_logged_in_as_someone_else_accepts_nothing(browser, server, screenshots_dir):
    with Pages(browser, server.url, screenshots_dir) as pages:
        admin_page = pages.new()
        signup(admin_page)
        invitee = new_user("marta")
        invite(admin_page, invitee.email)
        link = admin_page.locator("input.invitation-link").input_value()
        other = pages.new()
        signup(other)
        other.goto(link)
        expect(other.get_by_role("heading", level=1)).to_have_text("This invitation is for another account")
        expect(other.get_by_role("button", name="Accept", exact=False)).to_have_count(0)
        admin_page.reload()
        expect(table_row(admin_page.locator("table#invitations"), invitee.email)).to_have_count(1)


def test_a_burst_of_invented_links_from_forty_clients_gets_404s_and_sets_no_session(server):
    """An attacker's burst at the anonymous /join page: 800 invented tokens (and malformed ones)
    over 40 connections, each answered 404 with no session and no 5xx."""
    alphabet = string.ascii_letters + string.digits

    def one(n: int) -> tuple[int, bool]:
        token = "".join(secrets.choice(alphabet) for _ in range(32)) if n % 4 else "x" * (n % 97)
        with http() as s:
            r = s.get(f"{server.url}/join/{token}", allow_redirects=False, timeout=30)
            return r.status_code, "kagibag_session" in r.headers.get("Set-Cookie", "")

    with ThreadPoolExecutor(40) as pool:
        answers = list(pool.map(one, range(800)))
    assert {status for status, _ in answers} == {404}, collections_of(answers)
    assert not any(cookie for _, cookie in answers)


def collections_of(answers: list[tuple[int, bool]]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for status, _ in answers:
        counts[status] = counts.get(status, 0) + 1
    return counts
