"""Processes and setup shared by the hardening tests (test_hostile_headers, test_capacity_under_load,
test_crash_recovery): each of those modules starts its own `kagibag serve` processes (and, where
it needs one, a throwaway PostgreSQL 15 cluster), independent of conftest's session server.

Everything listens on 127.0.0.1 only and is removed at the end (set KAGIBAG_KEEP_TMP=1 to keep
the directories and logs).
"""

from __future__ import annotations

import errno
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests

REPO = pathlib.Path(__file__).resolve().parent.parent
BINARY = pathlib.Path(os.environ.get("KAGIBAG_BIN") or REPO / ".build" / "debug" / "kagibag")
PG_BIN = pathlib.Path(os.environ.get("KAGIBAG_PG_BIN", "/usr/lib/postgresql/15/bin"))
STARTUP_TIMEOUT_S = 90  # the debug binary on a busy 2-core machine
PASSWORD = "correct horse battery staple"
EVENTS = "/api/v1/organizer/events"

CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="nonce" value="([^"]+)"')
KEY_RE = re.compile(r'id="new-api-key"[^>]*value="(kgb_[0-9A-Za-z]{46})"')
KEY_ROW_RE = r'<tr data-key-id="([0-9a-f-]{36})">\s*<td>'  # + the escaped key name + </td>


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: pathlib.Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # loopback only: never through a proxy
    return s


def require_binary() -> None:
    if not (BINARY.is_file() and os.access(BINARY, os.X_OK)):
        pytest.fail(f"kagibag binary not found at {BINARY}: run `swift build` first (or set KAGIBAG_BIN)",
                    pytrace=False)


def work_dir(prefix: str) -> pathlib.Path:
    d = pathlib.Path(tempfile.mkdtemp(prefix=prefix))
    d.chmod(0o755)  # PostgreSQL (user postgres) passes through it
    return d


def remove_work_dir(d: pathlib.Path) -> None:
    if os.environ.get("KAGIBAG_KEEP_TMP"):
        print(f"kept {d}")
    else:
        shutil.rmtree(d, ignore_errors=True)


# --- PostgreSQL ------------------------------------------------------------------------------


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Postgres:
    """A throwaway PostgreSQL 15 cluster on 127.0.0.1 with trust authentication."""

    root: pathlib.Path
    port: int = 0

    @property
    def data(self) -> pathlib.Path:
        return self.root / "data"

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def start(self) -> None:
        if not os.access(PG_BIN / "initdb", os.X_OK):
            pytest.fail(f"PostgreSQL 15 not found in {PG_BIN} (apt-get install postgresql-15)", pytrace=False)
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o700)
        run = subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--no-locale", "--no-sync"]),
            capture_output=True, text=True, timeout=180,
        )
        assert run.returncode == 0, f"initdb failed:\n{run.stdout}\n{run.stderr}"
        for _ in range(3):
            self.port = free_port()
            # Only kagibag is killed in these tests, never PostgreSQL, so its own fsync does not
            # matter: a commit PostgreSQL acknowledged stays visible to every later connection.
            options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c max_connections=200 "
                       "-c fsync=off -c full_page_writes=off")
            run = subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                              "-w", "-t", "90", "-o", options, "start"]),
                capture_output=True, text=True, timeout=120,
            )
            if run.returncode == 0:
                return
        pytest.fail(f"PostgreSQL did not start:\n{tail(self.root / 'server.log')}", pytrace=False)

    def stop(self) -> None:
        if self.port:
            subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
                capture_output=True, timeout=60,
            )

    def psql(self, sql: str, db: str = "postgres") -> str:
        run = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )
        assert run.returncode == 0, f"psql {sql!r} failed: {run.stderr}"
        return run.stdout.strip()

    def new_database(self, name: str) -> str:
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)


# --- kagibag ---------------------------------------------------------------------------------


def server_env(database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KAGIBAG_") and k != "DATABASE_URL"}
    env.update(
        KAGIBAG_BCRYPT_COST="4",
        KAGIBAG_API_RATE_LIMIT="0",  # these tests hammer one key on purpose
        KAGIBAG_LAST_USED_FLUSH_SECONDS="1",
        LOG_LEVEL="debug",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    env.update(extra)
    return env


@dataclass
class Kagibag:
    """One `kagibag serve` process; its working directory holds kagibag.sqlite (on SQLite)."""

    dir: pathlib.Path
    env: dict[str, str]
    port: int = 0
    process: subprocess.Popen | None = field(default=None, repr=False)
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> pathlib.Path:
        return self.dir / "kagibag.log"

    @property
    def sqlite_path(self) -> pathlib.Path:
        return self.dir / "kagibag.sqlite"

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_path, lines)

    def start(self, wait: bool = True) -> None:
        """Starts (or restarts, on the same directory and database) the server."""
        assert self.process is None or self.process.poll() is not None, "already running"
        require_binary()
        if self._log:
            self._log.close()
        self.dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "ab")
        self._log.write(f"\n===== kagibag serve started by the test at {time.ctime()} =====\n".encode())
        self._log.flush()
        self.port = free_port()
        for attempt in range(60):
            try:
                self.process = subprocess.Popen(
                    [str(BINARY), "serve", "--hostname", "127.0.0.1", "--port", str(self.port)],
                    cwd=self.dir, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
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
                    pytest.fail(f"kagibag serve exited with {self.process.returncode} before answering "
                                f"/healthz; log:\n{self.log_tail()}", pytrace=False)
                try:
                    r = s.get(self.url + "/healthz", timeout=5)
                    if r.status_code == 200 and r.json() == {"status": "ok"}:
                        return time.monotonic() - started
                    last = f"{r.status_code} {r.text[:200]!r}"
                except (requests.RequestException, ValueError) as e:
                    last = repr(e)
                if time.monotonic() > deadline:
                    pytest.fail(f"/healthz did not answer 200 within {timeout}s (last: {last}); "
                                f"log:\n{self.log_tail()}", pytrace=False)
                time.sleep(0.2)

    def kill9(self) -> None:
        assert self.process is not None and self.process.poll() is None, "not running"
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM; returns the exit status (fails if it does not exit within `timeout`)."""
        assert self.process is not None and self.process.poll() is None, "not running"
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"kagibag did not exit within {timeout}s of SIGTERM; log:\n{self.log_tail()}")

    def stop(self) -> None:
        """Best-effort shutdown for fixture teardown."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log:
            self._log.close()
            self._log = None

    def crash_lines(self) -> list[str]:
        """Log lines that show a crash or an internal error."""
        pattern = re.compile(r"\[ (ERROR|CRITICAL) \]|Fatal error|Swift runtime failure|Segmentation|SIGSEGV"
                             r"|\b500 Internal Server Error\b")
        return [line for line in self.log_path.read_text(errors="replace").splitlines() if pattern.search(line)]


# --- signing up and issuing a key over plain HTTP ----------------------------------------------


class Web:
    """A browser without a browser: forms, the session cookie and CSRF tokens by hand."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.s = http()

    def form(self, path: str) -> tuple[str, str]:
        r = self.s.get(self.base + path, allow_redirects=False, timeout=60)
        assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text[:300]}"
        m = CSRF_RE.search(r.text)
        assert m, f"no _csrf field on {path}"
        return r.text, m.group(1)

    def signup(self) -> dict[str, str]:
        tag = uuid.uuid4().hex[:10]
        user = {"name": f"Hardening {tag[:4]}", "email": f"hardening-{tag}@example.com", "password": PASSWORD,
                "team": f"Hardening {tag}"}
        _, csrf = self.form("/signup")
        r = self.s.post(self.base + "/signup", data={**user, "_csrf": csrf}, allow_redirects=False, timeout=60)
        assert r.status_code == 303, (r.status_code, r.text[:300])
        return user

    def create_key(self, name: str) -> tuple[str, str]:
        """Creates an API key; returns (plaintext, row id)."""
        page, csrf = self.form("/admin/team/api-keys/new")
        nonce = NONCE_RE.search(page)
        assert nonce, "no nonce field on the new-key form"
        r = self.s.post(self.base + "/admin/team/api-keys", data={"name": name, "nonce": nonce.group(1), "_csrf": csrf},
                        allow_redirects=False, timeout=60)
        assert r.status_code == 201, (r.status_code, r.text[:300])
        key = KEY_RE.search(r.text)
        assert key, "no new key on the page"
        row = re.search(KEY_ROW_RE + re.escape(name) + "</td>", r.text)
        assert row, "new key's row not on the page"
        return key.group(1), row.group(1)

    def delete_key(self, key_id: str) -> None:
        _, csrf = self.form(f"/admin/team/api-keys/{key_id}/delete")
        r = self.s.post(self.base + f"/admin/team/api-keys/{key_id}/delete", data={"_csrf": csrf},
                        allow_redirects=False, timeout=60)
        assert r.status_code == 303, (r.status_code, r.text[:300])


def signed_up_key(base: str, name: str = "Hardening") -> str:
    """Signs a new user (and team) up and returns a fresh API key of that team."""
    web = Web(base)
    web.signup()
    key, _ = web.create_key(name)
    return key


def auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": "application/json"}


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
