"""The web UI in Chromium (Playwright): pages with their artifacts, and the UI contract's actions in one place."""

from __future__ import annotations

import contextlib
import os
import pathlib
import re
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect, sync_playwright

from support.keys import KEY_RE
from support.tools import CHROMIUM
from support.web import User, new_user

UI_TIMEOUT_MS = 15_000
TEAM_URL = re.compile(r"/admin/team/?$")
KEYS_URL = re.compile(r"/admin/team/api-keys/?$")


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """The system's headless Chromium (one sync Playwright per process)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        yield b
        b.close()


class Pages:
    """New pages on `base_url`, each in a fresh browser context; on failure, a screenshot and the
    HTML of every page are kept (apart from any server's directory: a page may show a new key).

    As a context manager, the pages are saved to `artifacts` if the block raises."""

    def __init__(self, browser: Browser, base_url: str, artifacts: pathlib.Path | None = None,
                 ignore_https_errors: bool = False) -> None:
        self.browser = browser
        self.base_url = base_url
        self.artifacts = artifacts
        self.ignore_https_errors = ignore_https_errors
        self.contexts: list[BrowserContext] = []

    def new(self, javascript: bool = True, width: int | None = None, height: int = 900) -> Page:
        """A page in a fresh context; `width` sets a viewport that wide (a phone: 390) and `height` high."""
        viewport = {"width": width, "height": height} if width else None
        ctx = self.browser.new_context(base_url=self.base_url, java_script_enabled=javascript,
                                       ignore_https_errors=self.ignore_https_errors,
                                       **({"viewport": viewport} if viewport else {}))
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=self.base_url)
        ctx.set_default_timeout(UI_TIMEOUT_MS)
        self.contexts.append(ctx)
        return ctx.new_page()

    def save(self, stem: str) -> None:
        for i, ctx in enumerate(self.contexts):
            for j, pg in enumerate(ctx.pages):
                path = self.artifacts / f"{stem}-{i}-{j}"
                try:
                    pg.screenshot(path=f"{path}.png", full_page=True)
                    path.with_suffix(".html").write_text(pg.content())
                    print(f"artifact: {path}.png ({pg.url})")
                except Exception as e:  # noqa: BLE001 - best effort
                    print(f"could not save artifact {path}: {e}")

    def close(self) -> None:
        for ctx in self.contexts:
            ctx.close()
        self.contexts.clear()

    def __enter__(self) -> Pages:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None and self.artifacts is not None:
            self.save("page")
        self.close()


# --- the UI contract ---------------------------------------------------------------------------


def signup(page: Page, user: User | None = None) -> User:
    user = user or new_user()
    page.goto("/signup")
    page.get_by_label("Name", exact=True).fill(user.name)
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(user.password)
    page.get_by_label("Team name", exact=True).fill(user.team)
    page.get_by_role("button", name="Sign up", exact=True).click()
    expect(page).to_have_url(TEAM_URL)
    return user


def login(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()


def open_menu(page: Page) -> None:
    """On a phone the header's navigation and account sit under "Menu" (issue 28): opens it there;
    wider, they are always shown and this does nothing."""
    menu = page.locator("details.site-menu")
    summary = menu.locator("summary")
    if summary.count() and summary.is_visible() and menu.get_attribute("open") is None:
        summary.click()
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()


def logout(page: Page) -> None:
    open_menu(page)
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_have_count(0)


def invite(page: Page, email: str, role: str = "Member") -> None:
    """On the Team page: Add member, which invites; the notice is the same whether or not the
    address has an account."""
    page.get_by_label("Member email", exact=True).fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Add member", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Invited {email} as {role}.")


def accept_invitation(page: Page, team: str) -> None:
    """The invitee, on any page: the banner's Accept, which opens the team."""
    page.goto("/admin")
    banner = page.get_by_role("region", name=f"Invitation to {team}")
    expect(banner).to_contain_text("invited you to join the team")
    banner.get_by_role("button", name=f"Accept the invitation to {team}", exact=True).click()
    expect(page).to_have_url(TEAM_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(team)


def cell(table: Locator, row: Locator, column: str) -> Locator:
    """The cell of `row` under the header `column` of `table`."""
    headers = [h.strip() for h in table.locator("tr").first.locator("th, td").all_inner_texts()]
    assert column in headers, f"column {column!r} not in {headers}"
    return row.locator("th, td").nth(headers.index(column))


def table_row(table: Locator, text: str) -> Locator:
    return table.locator("tbody tr").filter(has_text=text)


def members_table(page: Page) -> Locator:
    return page.locator("table#members")


def keys_table(page: Page) -> Locator:
    return page.locator("table#api-keys")


def team_slug(page: Page) -> str:
    page.goto("/admin/team")
    slug = page.locator("#team-slug code").inner_text().strip()
    assert slug, "empty team slug"
    return slug


def goto_api_keys(page: Page) -> None:
    page.goto("/admin/team/api-keys")
    expect(page.get_by_role("heading", level=1)).to_have_text("API Keys")


def navigate_to_api_keys(page: Page) -> None:
    """Admin → Team → API Keys, in the header's navigation, each step landing where it should."""
    nav = page.get_by_role("navigation", name="Main")
    open_menu(page)
    nav.get_by_role("link", name="Admin", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/?$"))
    open_menu(page)
    nav.get_by_role("link", name="Team", exact=True).click()
    expect(page).to_have_url(TEAM_URL)
    open_menu(page)
    nav.get_by_role("link", name="API Keys", exact=True).click()
    expect(page).to_have_url(KEYS_URL)


def create_api_key(page: Page, name: str, created_keys: list[str] | None = None) -> str:
    """On the API Keys page: create a key named `name`, return it, close the dialog."""
    page.get_by_role("link", name="Create API Key", exact=True).click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create", exact=True).click()
    key = shown_once_key(page, created_keys)
    dialog = page.locator("dialog#new-key-dialog")
    dialog.get_by_role("button", name="Done", exact=True).click()
    expect(dialog).to_be_hidden()
    return key


def shown_once_key(page: Page, created_keys: list[str] | None = None) -> str:
    """The key in the open shown-once dialog (after creating or rolling), checked for its format
    and remembered in `created_keys` for the secrets check; the dialog stays open."""
    dialog = page.locator("dialog#new-key-dialog[open]")
    expect(dialog).to_be_visible()
    key = dialog.locator("#new-api-key").input_value()
    if created_keys is not None:
        created_keys.append(key)
    assert KEY_RE.match(key), f"key {key!r} does not match {KEY_RE.pattern}"
    return key


def fill_event_form(page: Page, fields: dict[str, str]) -> None:
    """Fills the event form's fields by their labels (Status is a select)."""
    for label, value in fields.items():
        field = page.get_by_label(label, exact=True)
        if label == "Status":
            field.select_option(value)
        else:
            field.fill(value)


def answer_confirmation(page: Page, choice: str) -> None:
    """In the dialog a button marked data-confirm opens (Remove, Leave team, Cancel registration…),
    press `choice`: the button that goes ahead, or the one that keeps things as they are (which has
    the focus)."""
    dialog = page.locator("dialog#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=choice, exact=True).click()
    expect(dialog).to_be_hidden()


def tab_to(page: Page, target: Locator, presses: int = 80, backwards: bool = False) -> None:
    """Presses Tab (Shift+Tab) until `target` has the keyboard focus."""
    for _ in range(presses):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{target} never got the focus in {presses} presses of Tab")


def create_keys_over_http(page: Page, names: list[str], created_keys: list[str] | None = None) -> None:
    """Creates keys in the page's session as the plain create form would (quicker than clicking)."""
    request = page.context.request
    for name in names:
        html = request.get("/admin/team/api-keys/new").text()
        csrf = re.search(r'name="_csrf" value="([^"]+)"', html).group(1)
        nonce = re.search(r'name="nonce" value="([^"]+)"', html).group(1)
        response = request.post("/admin/team/api-keys", form={"_csrf": csrf, "nonce": nonce, "name": name})
        assert response.status == 201, (name, response.status, response.text()[:300])
        key = re.search(r'id="new-api-key"[^>]*>(kgb_[0-9A-Za-z]+)<', response.text()).group(1)
        if created_keys is not None:
            created_keys.append(key)


def wait_until_last_used_is_shown(page: Page, name: str, timeout_s: float = 15.0) -> Locator:
    """Reloads the key list until the key's Last used cell is no longer Never."""
    deadline = time.monotonic() + timeout_s
    time.sleep(2.5)  # the server flushes last-used times every second (test setting)
    while True:
        page.reload()
        table = keys_table(page)
        last_used = cell(table, table_row(table, name), "Last used")
        if last_used.inner_text().strip() != "Never" or time.monotonic() > deadline:
            return last_used
        time.sleep(1)


def say_yes(page: Page, label: str) -> None:
    """Answers the question a button asked before acting (Roll, End now): in its dialog with
    script, on the page of its own without. The question must name what it asks about."""
    dialog = page.locator("dialog#confirm-dialog[open]")
    if dialog.count():
        expect(dialog.locator("#confirm-dialog-detail")).not_to_be_empty()
        answer_confirmation(page, label)
    else:
        expect(page.get_by_role("heading", level=1)).to_contain_text("?")
        page.get_by_role("button", name=label, exact=True).click()
