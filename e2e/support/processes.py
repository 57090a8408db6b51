"""Plumbing shared by every process the suite starts."""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: pathlib.Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def work_dir(prefix: str) -> Iterator[pathlib.Path]:
    """A temporary directory, removed afterwards (kept, and named, with KAGIBAG_KEEP_TMP=1)."""
    d = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)  # PostgreSQL (user postgres) and nginx's workers (nobody) pass through it
    try:
        yield d
    finally:
        if os.environ.get("KAGIBAG_KEEP_TMP"):
            print(f"kept {d}")
        else:
            shutil.rmtree(d, ignore_errors=True)


def resident_mib(pid: int) -> float:
    """The process's resident memory (VmRSS in /proc/PID/status), in MiB."""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def wait_for(predicate: Callable[[], T], what: str, timeout: float = 30, interval: float = 0.1) -> T:
    """Calls `predicate` until it returns something true, and returns that; fails after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def end(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Best-effort shutdown for teardown: `sig`, then SIGKILL if it does not exit within `timeout` s."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
