"""The binary as an operator meets it: asking it its version or for help, or mistyping a command,
answers at once and leaves nothing behind (no database opened, no file created)."""

from __future__ import annotations

import subprocess
import time

import pytest

from support.processes import work_dir
from support.tools import require_binary


@pytest.mark.parametrize("arguments, code, stream, text", [
    (["--version"], 0, "stdout", "kagibag "),
    (["version"], 0, "stdout", "kagibag "),
    (["--help"], 0, "stdout", "Usage: kagibag"),
    (["help"], 0, "stdout", "Usage: kagibag"),
    (["frobnicate"], 64, "stderr", "kagibag: unknown command 'frobnicate'"),
    (["--port", "8080"], 64, "stderr", "kagibag: unknown option '--port'"),
])
def test_version_help_and_a_typo_answer_at_once_and_create_no_file(arguments, code, stream, text):
    with work_dir("kagibag-cli-") as folder:
        start = time.monotonic()
        done = subprocess.run([str(require_binary()), *arguments], cwd=folder, capture_output=True, text=True,
                              timeout=30, env={"PATH": "/usr/bin:/bin"})
        took = time.monotonic() - start
        assert done.returncode == code, (done.returncode, done.stdout[-300:], done.stderr[-300:])
        assert text in getattr(done, stream), (done.stdout[-300:], done.stderr[-300:])
        assert list(folder.iterdir()) == [], list(folder.iterdir())
        assert took < 1, f"{arguments} took {took:.2f} s"
