"""`kagibag serve` processes: the session's server, the hardening tests' own ones, the cluster's instances."""

from __future__ import annotations

import contextlib
import errno
import os
import pathlib
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from support.http import http
from support.processes import end, free_port, resident_mib, tail, work_dir
from support.tools import require_binary

STARTUP_TIMEOUT_S = 90  # the debug binary on a busy 2-core machine
# For the tests that hammer one key on purpose, and sign up many users.
HARDENING_SETTINGS = {"KAGIBAG_BCRYPT_COST": "4", "KAGIBAG_API_RATE_LIMIT": "0"}
CRASH_RE = re.compile(r"\[ (ERROR|CRITICAL) \]|Fatal error|Swift runtime failure|Segmentation|SIGSEGV"
                      r"|\b500 Internal Server Error\b")


def server_env(*, keep_settings: bool = False, **settings: str) -> dict[str, str]:
    """This process's environment for a server: without DATABASE_URL (SQLite in its working
    directory, unless `settings` name one) and, unless `keep_settings`, without any KAGIBAG_
    variable; with debug logs, last-used times flushed every second, and `settings`."""
    env = {k: v for k, v in os.environ.items()
           if k != "DATABASE_URL" and (keep_settings or not k.startswith("KAGIBAG_"))}
    env.update(LOG_LEVEL="debug", KAGIBAG_LAST_USED_FLUSH_SECONDS="1")
    env.update(settings)
    return env


@dataclass
class Kagibag:
    """One `kagibag serve` process; its working directory holds its log and, on SQLite, kagibag.sqlite.

    With a `port`, every start listens there (nginx names it); without, each start takes a free one.
    With a `command`, that is run instead of `serve --hostname 127.0.0.1 --port PORT`."""

    dir: pathlib.Path
    env: dict[str, str]
    port: int = 0
    name: str = ""
    command: tuple[str, ...] = ()
    cli_env: dict[str, str] = field(default_factory=dict)  # added to `env` for cli()
    process: subprocess.Popen | None = field(default=None, repr=False)
    _log: object = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._fixed_port = bool(self.port)

    @property
    def label(self) -> str:
        return f"kagibag {self.name}" if self.name else "kagibag serve"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> pathlib.Path:
        return self.dir / "kagibag.log"

    @property
    def sqlite_path(self) -> pathlib.Path:
        return self.dir / "kagibag.sqlite"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def crash_lines(self) -> list[str]:
        """Log lines that show a crash or an internal error."""
        return [line for line in self.log().splitlines() if CRASH_RE.search(line)]

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def rss_mib(self) -> float:
        """The server's resident memory now, in MiB."""
        assert self.running(), f"{self.label} is not running"
        return resident_mib(self.process.pid)

    def start(self, wait: bool = True, **overrides: str) -> None:
        """Starts (or restarts, on the same directory and database) the server, with `overrides`
        added to its environment for this run."""
        assert not self.running(), f"{self.label} is already running"
        binary = require_binary()
        if self._log:
            self._log.close()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== kagibag serve started by the test at {time.ctime()} =====\n".encode())
        self._log.flush()
        if not self._fixed_port:
            self.port = free_port()
        args = self.command or ("serve", "--hostname", "127.0.0.1", "--port", str(self.port))
        for attempt in range(60):
            try:
                self.process = subprocess.Popen(
                    [str(binary), *args], cwd=self.dir, env={**self.env, **overrides},
                    stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                )
                break
            except OSError as e:  # ETXTBSY/ENOENT: `swift build` is relinking the binary right now
                if e.errno not in (errno.ETXTBSY, errno.ENOENT) or attempt == 59:
                    raise
                time.sleep(2)
        if wait:
            self.wait_healthy()

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT_S) -> float:
        """Waits for /healthz to answer 200 {"status":"ok"}; returns the seconds it took."""
        started = time.monotonic()
        deadline = started + timeout
        last = "no answer"
        with http() as s:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(f"{self.label} exited with {self.process.returncode} before answering "
                                f"/healthz; log:\n{self.log_tail()}", pytrace=False)
                try:
                    r = s.get(self.url + "/healthz", timeout=5)
                    if r.status_code == 200 and r.json() == {"status": "ok"}:
                        return time.monotonic() - started
                    last = f"{r.status_code} {r.text[:200]!r}"
                except (requests.RequestException, ValueError) as e:
                    last = repr(e)
                if time.monotonic() > deadline:
                    pytest.fail(f"{self.label}: /healthz did not answer 200 within {timeout}s (last: {last}); "
                                f"log:\n{self.log_tail()}", pytrace=False)
                time.sleep(0.2)

    def ensure_running(self) -> None:
        """Leaves the server serving, for the tests that follow one that stopped it."""
        if not self.running():
            self.start()

    def kill9(self) -> None:
        assert self.running(), f"{self.label} is not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait_exit(self, timeout: float = 30) -> int:
        """Waits for the process to exit; returns its status (fails if it does not exit in time)."""
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"{self.label} did not exit within {timeout}s; log:\n{self.log_tail()}")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM; returns the exit status (fails if it does not exit within `timeout`)."""
        assert self.running(), f"{self.label} is not running"
        self.process.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def stop(self) -> None:
        """Best-effort shutdown for fixture teardown."""
        end(self.process)
        if self._log:
            self._log.close()
            self._log = None

    def cli(self, *args: str, timeout: float = 60, input: str | None = None) -> subprocess.CompletedProcess:
        """`kagibag ARGS…` as an operator runs it beside the server: same directory, same
        environment (plus `cli_env`), `input` on its standard input; logged to cli.log in the
        directory (without the input)."""
        result = subprocess.run(
            [str(require_binary()), *args], cwd=self.dir, env={**self.env, **self.cli_env},
            capture_output=True, text=True, timeout=timeout,
            **({"input": input} if input is not None else {"stdin": subprocess.DEVNULL}),
        )
        with open(self.dir / "cli.log", "a") as log:
            log.write(f"$ kagibag {' '.join(args)}  (exit {result.returncode})\n")
            log.write(result.stdout)
            log.write(result.stderr)
        return result

    def run_cli(self, *args: str, timeout: float = 60, input: str | None = None) -> str:
        """cli(), failing the test unless it exits 0; returns its stdout."""
        result = self.cli(*args, timeout=timeout, input=input)
        if result.returncode != 0:
            raise AssertionError(f"kagibag {' '.join(args)} exited {result.returncode}\n"
                                 f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}")
        return result.stdout


@contextlib.contextmanager
def running(dir: pathlib.Path, env: dict[str, str], **kw) -> Iterator[Kagibag]:
    """A started server (see Kagibag), stopped afterwards."""
    server = Kagibag(dir, env, **kw)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def throwaway(**settings: str) -> Iterator[Kagibag]:
    """A server of one test's own: SQLite in a temporary directory, info-level logs, the default
    settings (bcrypt cost 12 included) with `settings` on top; stopped and removed afterwards."""
    with work_dir("kagibag-own-") as d, running(d / "server", server_env(LOG_LEVEL="info", **settings)) as srv:
        yield srv
