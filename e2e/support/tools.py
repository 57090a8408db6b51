"""Where things are: the repository, the kagibag binary and the system tools the suite runs."""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
# The server under test: KAGIBAG_BIN, or what `swift build` made.
BINARY = pathlib.Path(os.environ.get("KAGIBAG_BIN") or REPO / ".build" / "debug" / "kagibag")
PG_BIN = pathlib.Path(os.environ.get("KAGIBAG_PG_BIN", "/usr/lib/postgresql/15/bin"))
NGINX = pathlib.Path(shutil.which("nginx") or "/usr/sbin/nginx")
CHROMIUM = pathlib.Path(os.environ.get("KAGIBAG_CHROMIUM", "/usr/bin/chromium"))


def require_binary() -> pathlib.Path:
    """The kagibag binary; fails the test (not skips it) when it is missing."""
    if not (BINARY.is_file() and os.access(BINARY, os.X_OK)):
        pytest.fail(f"kagibag binary not found at {BINARY}: run `swift build` first (or set KAGIBAG_BIN)",
                    pytrace=False)
    return BINARY


def require(*tools: pathlib.Path | str, why: str, install: str) -> None:
    """Fails the test when any of `tools` (paths or command names) is not there to run."""
    missing = [str(t) for t in tools
               if not (os.access(t, os.X_OK) if isinstance(t, pathlib.Path) else shutil.which(t))]
    if missing:
        pytest.fail(f"needed {why} but missing: {', '.join(missing)} ({install})", pytrace=False)
