"""Runs last (file name sorts last): no API key the suite created was stored or
logged in plaintext, nor exposed by /metrics."""

from __future__ import annotations

from helpers import EVENTS_PATH, api_get, create_api_key, goto_api_keys, signup


def _leaked(keys: list[str], data: bytes) -> list[str]:
    """Previews (…last4) of the keys found in data, whole or without their prefix."""
    return [
        "…" + key[-4:]
        for key in keys
        if key.encode() in data or key.removeprefix("kgb_").encode() in data
    ]


def test_no_created_api_key_appears_in_database_files_logs_or_metrics(
    page, server, api, created_keys
):
    if not created_keys:  # run on its own: make (and use) one key here
        signup(page)
        goto_api_keys(page)
        key = create_api_key(page, "Secrets probe", created_keys)
        assert api_get(api, server.base_url, EVENTS_PATH, key).status_code == 200

    files = sorted(p for p in server.tmp_dir.rglob("*") if p.is_file())
    names = {p.name for p in files}
    assert "kagibag.sqlite" in names, f"no kagibag.sqlite in {server.tmp_dir}: {sorted(names)}"
    assert server.log_path.name in names

    leaks = []
    for path in files:
        leaks += [f"{path.name} contains key {k}" for k in _leaked(created_keys, path.read_bytes())]
    assert not leaks, "\n".join(leaks)

    r = api.get(server.base_url + "/metrics", timeout=10)
    if r.status_code != 404:  # no /metrics endpoint: nothing to check there
        assert r.status_code == 200, f"/metrics: {r.status_code}"
        leaked = _leaked(created_keys, r.content)
        assert not leaked, f"/metrics exposes keys {leaked}"
