"""Page actions shared by the end-to-end tests (the UI contract in one place)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import requests
from playwright.sync_api import Locator, Page, expect

KEY_RE = re.compile(r"^kgb_[0-9A-Za-z]{46}$")
TEAM_URL = re.compile(r"/admin/team/?$")
KEYS_URL = re.compile(r"/admin/team/api-keys/?$")
PASSWORD = "correct horse battery staple"
EVENTS_PATH = "/api/v1/organizer/events"


@dataclass
class User:
    name: str
    email: str
    password: str
    team: str


def new_user(label: str = "user") -> User:
    tag = uuid.uuid4().hex[:10]
    return User(
        name=f"{label.capitalize()} {tag[:4]}",
        email=f"{label}-{tag}@example.com",
        password=PASSWORD,
        team=f"Acme {tag}",
    )


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


def logout(page: Page) -> None:
    page.get_by_role("button", name="Log out", exact=True).click()
    expect(page.get_by_role("button", name="Log out", exact=True)).to_have_count(0)


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


def create_api_key(page: Page, name: str, created_keys: list[str] | None = None) -> str:
    """On the API Keys page: create a key named `name`, return it, close the dialog."""
    page.get_by_role("link", name="Create API Key", exact=True).click()
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_role("button", name="Create", exact=True).click()
    dialog = page.locator("dialog#new-key-dialog")
    expect(dialog).to_be_visible()
    key = dialog.locator("#new-api-key").input_value()
    if created_keys is not None:
        created_keys.append(key)
    assert KEY_RE.match(key), f"key {key!r} does not match {KEY_RE.pattern}"
    dialog.get_by_role("button", name="Done", exact=True).click()
    expect(dialog).to_be_hidden()
    return key


def api_get(api: requests.Session, base_url: str, path: str, key: str | None) -> requests.Response:
    headers = {"Accept": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return api.get(base_url + path, headers=headers, timeout=10)


def assert_unauthorized(r: requests.Response) -> None:
    assert r.status_code == 401, f"{r.status_code} {r.text[:300]}"
    assert r.headers.get("WWW-Authenticate", "").startswith('Bearer realm="kagibag"'), r.headers
    assert r.headers.get("Content-Type", "").startswith("application/problem+json"), r.headers
