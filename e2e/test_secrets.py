"""After the whole suite: no API key it created was stored or logged in plaintext, nor exposed by /metrics.

Marked `after_suite`: conftest.py runs it after every other test, whatever this file is called
(and the test checks that it did run last)."""

from __future__ import annotations

import pytest

from support.api import EVENTS, call_api
from support.browser import create_api_key, goto_api_keys, signup
from support.keys import leaked

pytestmark = pytest.mark.after_suite


def test_no_created_api_key_appears_in_database_files_logs_or_metrics(
    request, page, server, api, created_keys
):
    assert request.session.items[-1] is request.node, "the secrets check must run after every other test"
    if not created_keys:  # run on its own: make (and use) one key here
        signup(page)
        goto_api_keys(page)
        key = create_api_key(page, "Secrets probe", created_keys)
        assert call_api(server.url, key, EVENTS, session=api).status_code == 200

    files = sorted(p for p in server.dir.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert "kagibag.sqlite" in names, f"no kagibag.sqlite in {server.dir}: {sorted(names)}"
    assert server.log_path.name in names

    leaks = []
    for path in files:
        leaks += [f"{path.name} contains key {k}" for k in leaked(created_keys, path.read_bytes())]
    assert not leaks, "\n".join(leaks)

    r = api.get(server.url + "/metrics", timeout=10)
    if r.status_code != 404:  # no /metrics endpoint: nothing to check there
        assert r.status_code == 200, f"/metrics: {r.status_code}"
        found = leaked(created_keys, r.content)
        assert not found, f"/metrics exposes keys {found}"
