"""The web UI over plain HTTP: a browser without a browser (forms, CSRF tokens, the session cookie).

Every page the UI contract names is reached the way a browser would, but with `requests`, so
that the hardening and multi-instance tests can sign up and issue keys quickly and on any
instance."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import requests

from support.http import http
from support.keys import KEY_RE

PASSWORD = "correct horse battery staple"
CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="nonce" value="([^"]+)"')
NEW_KEY_RE = re.compile(r'id="new-api-key"[^>]*>(kgb_[0-9A-Za-z]+)<')
KEY_ROW_RE = r'<tr data-key-id="([0-9a-f-]{36})">\s*<td[^>]*><a href="[^"]+" class="key-name">'  # + the escaped key name + </a>
SLUG_RE = re.compile(r'id="team-slug"[^>]*>.*?<code>([^<]+)</code>', re.S)
SESSION_COOKIE = "kagibag_session"


@dataclass
class User:
    name: str
    email: str
    password: str
    team: str


def new_user(label: str = "user") -> User:
    """A user nobody has signed up yet, with a team of their own."""
    tag = uuid.uuid4().hex[:10]
    return User(
        name=f"{label.capitalize()} {tag[:4]}",
        email=f"{label}-{tag}@example.com",
        password=PASSWORD,
        team=f"Acme {tag}",
    )


class WebClient:
    """A signed-in (or not) web client whose cookies travel to any instance: the session cookie,
    and before sign-in the CSRF cookie of the anonymous forms (login, sign-up).

    The cookies are kept by hand, not by requests: behind nginx they are `Secure`
    (KAGIBAG_SECURE_COOKIES=true), and the instances themselves speak plain HTTP."""

    def __init__(self, session: requests.Session | None = None) -> None:
        self.session = session or http()
        self.cookie: str | None = None  # the session cookie's value
        self.other_cookies: dict[str, str] = {}

    def _headers(self) -> dict[str, str]:
        pairs = ([f"{SESSION_COOKIE}={self.cookie}"] if self.cookie else []) + [
            f"{name}={value}" for name, value in sorted(self.other_cookies.items())]
        return {"Cookie": "; ".join(pairs)} if pairs else {}

    def _keep_cookie(self, r: requests.Response) -> None:
        for header in r.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            name = name.strip()
            value = rest.split(";", 1)[0]
            expired = "max-age=0" in header.lower() or "1970" in header or not value
            if name == SESSION_COOKIE:
                self.cookie = None if expired else value
            elif expired:
                self.other_cookies.pop(name, None)
            else:
                self.other_cookies[name] = value

    def get(self, base: str, path: str, **kw) -> requests.Response:
        r = self.session.get(base + path, headers=self._headers(), allow_redirects=False, timeout=60, **kw)
        self._keep_cookie(r)
        return r

    def post(self, base: str, path: str, data: dict[str, str], headers: dict[str, str] | None = None,
             **kw) -> requests.Response:
        r = self.session.post(base + path, data=data, headers={**self._headers(), **(headers or {})},
                              allow_redirects=False, timeout=60, **kw)
        self._keep_cookie(r)
        return r

    def form(self, base: str, path: str) -> tuple[str, str]:
        """GETs a page with a form; returns (the page, its CSRF token)."""
        r = self.get(base, path)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
        m = CSRF_RE.search(r.text)
        assert m, f"no _csrf field on {path}"
        return r.text, m.group(1)

    def signup(self, base: str, user: User | None = None) -> User:
        user = user or new_user("web")
        _, csrf = self.form(base, "/signup")
        r = self.post(base, "/signup", {"name": user.name, "email": user.email, "password": user.password,
                                        "team": user.team, "_csrf": csrf})
        assert r.status_code == 303 and r.headers["Location"] == "/admin/team", (r.status_code, r.text[:300])
        return user

    def login(self, base: str, email: str, password: str) -> None:
        _, csrf = self.form(base, "/login")
        r = self.post(base, "/login", {"email": email, "password": password, "_csrf": csrf})
        assert r.status_code == 303 and r.headers["Location"] == "/admin/team", (r.status_code, r.text[:300])

    def join_team_of(self, admin: "WebClient", base: str, team: str, email: str, role: str = "member") -> None:
        """`admin` adds `email` (this client's account) to their team `team`; this client accepts the
        invitation (before invitations the membership was made at once, and there is none) and
        switches to that team."""
        _, csrf = admin.form(base, "/admin/team")
        r = admin.post(base, "/admin/team/members", {"email": email, "role": role, "_csrf": csrf})
        assert r.status_code == 303, r.status_code
        page, csrf = self.form(base, "/admin")
        accept = re.search(r'action="(/invitations/[0-9a-f-]+/accept)"', page)
        if accept:
            assert self.post(base, accept.group(1), {"_csrf": csrf}).status_code == 303
        page, csrf = self.form(base, "/admin/team")
        option = re.search(r'<option value="([0-9A-Fa-f-]{36})"[^>]*>' + re.escape(team) + "<", page)
        if option:
            assert self.post(base, "/team/switch", {"team": option.group(1), "_csrf": csrf}).status_code == 303

    def team_slug(self, base: str) -> str:
        r = self.get(base, "/admin/team")
        assert r.status_code == 200, r.status_code
        return SLUG_RE.search(r.text).group(1).strip()

    def create_key(self, base: str, name: str, **fields: str) -> tuple[str, str]:
        """Creates an API key on Admin → Team → API Keys → Create API Key, with the form's other
        `fields` as posted (may_roll_itself="on" ticks "May roll itself"); returns (plaintext, row id)."""
        page, csrf = self.form(base, "/admin/team/api-keys/new")
        nonce = NONCE_RE.search(page)
        assert nonce, "no nonce field on the new-key form"
        r = self.post(base, "/admin/team/api-keys", {**fields, "name": name, "nonce": nonce.group(1), "_csrf": csrf})
        assert r.status_code == 201, (r.status_code, r.text[:300])
        found = NEW_KEY_RE.search(r.text)
        assert found, "no new key on the page"
        key = found.group(1)
        assert KEY_RE.match(key), f"key does not match {KEY_RE.pattern}"
        row = re.search(KEY_ROW_RE + re.escape(name) + "</a>", r.text)
        assert row, "new key's row not on the page"
        assert f"/admin/team/api-keys/{row.group(1)}/delete" in r.text
        return key, row.group(1)

    def key_action(self, base: str, key_id: str, action: str, data: dict[str, str] | None = None,
                   expect_status: int = 303) -> requests.Response:
        """Posts one of a key's forms (pause, resume, end-grace, roll, edit) from the key's page."""
        page, csrf = self.form(base, f"/admin/team/api-keys/{key_id}")
        fields = dict(data or {}, _csrf=csrf)
        if action == "roll":
            fields["nonce"] = NONCE_RE.search(page).group(1)
        if action in ("roll", "end-grace"):
            fields.setdefault("confirmed", "yes")  # as the form's question, answered yes, sends it
        r = self.post(base, f"/admin/team/api-keys/{key_id}/{action}", fields)
        assert r.status_code == expect_status, (action, r.status_code, r.text[:300])
        return r

    def roll_key(self, base: str, key_id: str, grace_seconds: int) -> str:
        """Rolls the key from its page; returns the new secret shown once."""
        r = self.key_action(base, key_id, "roll", {"grace": str(grace_seconds)}, expect_status=201)
        found = NEW_KEY_RE.search(r.text)
        assert found, "no new secret on the page"
        return found.group(1)

    def edit_key(self, base: str, key_id: str, name: str, **fields: str | list[str]) -> None:
        """Saves the key's edit form with `fields` (permissions=[...] ticks those permissions)."""
        _, csrf = self.form(base, f"/admin/team/api-keys/{key_id}/edit")
        data: list[tuple[str, str]] = [("_csrf", csrf), ("name", name)]
        for field, value in fields.items():
            if field == "permissions":
                data += [("permission_choice", "only")] + [("permissions[]", p) for p in value]
            else:
                data.append((field, str(value)))
        r = self.session.post(base + f"/admin/team/api-keys/{key_id}/edit", data=data, headers=self._headers(),
                              allow_redirects=False, timeout=30)
        self._keep_cookie(r)
        assert r.status_code == 303, (r.status_code, r.text[:300])

    def delete_key(self, base: str, key_id: str) -> None:
        _, csrf = self.form(base, f"/admin/team/api-keys/{key_id}/delete")
        r = self.post(base, f"/admin/team/api-keys/{key_id}/delete", {"_csrf": csrf})
        assert r.status_code == 303, (r.status_code, r.text[:300])


def signed_up_client(base: str, key_name: str = "Integration") -> tuple[WebClient, str, str]:
    """Signs a new user (and team) up; returns (their client, a fresh API key of the team, its id)."""
    web = WebClient()
    web.signup(base)
    key, key_id = web.create_key(base, key_name)
    return web, key, key_id


def signed_up_key(base: str, key_name: str) -> str:
    """Signs a new user (and team) up and returns a fresh API key of that team."""
    return signed_up_client(base, key_name)[1]
