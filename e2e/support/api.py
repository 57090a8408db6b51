"""The organizer API as the tests call it: paths, bearer headers, paging, the 401 challenge."""

from __future__ import annotations

import collections

import requests

from support.http import http

EVENTS = "/api/v1/organizer/events"
KEY_INFO = "/api/v1/organizer/key"
SELF_ROLL = "/api/v1/organizer/key/roll"
OPENAPI = "/api/v1/openapi.json"


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": "application/json"}


def json_headers(key: str) -> dict[str, str]:
    return {**auth(key), "Content-Type": "application/json"}


def call_api(base: str, key: str | None, path: str = KEY_INFO, method: str = "GET",
             session: requests.Session | None = None, **kw) -> requests.Response:
    """One API request with the key as bearer token (none with key=None), accepting JSON;
    `headers` adds to (or replaces) those."""
    headers = auth(key) if key is not None else {"Accept": "application/json"}
    headers = {**headers, **kw.pop("headers", {})}
    return (session or http()).request(method, base + path, headers=headers, timeout=30, **kw)


def event(name: str, **fields) -> dict:
    """A valid event for POST /events; `fields` add to or replace the defaults."""
    return {"name": name, "starts_at": "2031-05-01T18:00:00Z", "ends_at": "2031-05-01T20:00:00Z",
            "timezone": "Europe/Berlin", **fields}


def list_all(s: requests.Session, base: str, path: str, key: str, timeout: float = 60) -> list[dict]:
    """Every item of a cursor-paged API list, 100 at a time."""
    items: list[dict] = []
    cursor = None
    seen_cursors: set[str] = set()
    while True:
        params = {"limit": "100"}
        if cursor:
            params["cursor"] = cursor
        r = s.get(base + path, params=params, headers=auth(key), timeout=timeout)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
        body = r.json()
        items.extend(body["data"])
        cursor = body.get("next_cursor")
        if not cursor:
            return items
        assert cursor not in seen_cursors, f"paging loops on cursor {cursor}"
        seen_cursors.add(cursor)


def events_by_name(base: str, key: str) -> dict[str, list[dict]]:
    """Every event the key's team has, grouped by name."""
    with http() as s:
        events = list_all(s, base, EVENTS, key)
    by_name: dict[str, list[dict]] = collections.defaultdict(list)
    for e in events:
        by_name[e["name"]].append(e)
    return by_name


def assert_unauthorized(r: requests.Response) -> None:
    """A 401 with Kagibag's bearer challenge and a problem+json body."""
    assert r.status_code == 401, f"{r.status_code} {r.text[:300]}"
    assert r.headers.get("WWW-Authenticate", "").startswith('Bearer realm="kagibag"'), r.headers
    assert r.headers.get("Content-Type", "").startswith("application/problem+json"), r.headers
