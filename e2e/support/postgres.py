"""A throwaway PostgreSQL 15 cluster on 127.0.0.1 with trust authentication, and databases in it.

Run as root, the server runs as the `postgres` user (through runuser); otherwise as this user.
Only kagibag is ever killed in these tests, never PostgreSQL, so PostgreSQL's own durability
does not matter: a commit it acknowledged stays visible to every later connection.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from support.processes import free_port, tail
from support.tools import PG_BIN

# Settings of every cluster; a cluster adds or overrides with its own.
SETTINGS = {"max_connections": "200", "fsync": "off", "full_page_writes": "off"}


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Postgres:
    root: pathlib.Path
    settings: dict[str, str] = field(default_factory=dict)
    port: int = 0

    @property
    def data(self) -> pathlib.Path:
        return self.root / "data"

    def url(self, db: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        credentials = f"{user}:{password}" if password else user
        return f"postgres://{credentials}@127.0.0.1:{self.port}/{db}?sslmode=disable"

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
        settings = {**SETTINGS, **self.settings}
        for _ in range(3):
            self.port = free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} " + " ".join(
                f"-c {name}={value}" for name, value in settings.items())
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
        """Runs `sql` as the superuser; returns the rows, unaligned (`a|b` a line)."""
        run = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
        )
        assert run.returncode == 0, f"psql {sql!r} failed: {run.stderr}"
        return run.stdout.strip()

    def new_database(self, name: str, owner: str | None = None, password: str | None = None) -> Database:
        """A new database; with an `owner`, as docs/deploy.md makes it: a login role that owns it."""
        if owner:
            self.psql(f"CREATE ROLE {owner} LOGIN PASSWORD '{password}'")
            self.psql(f"CREATE DATABASE {name} OWNER {owner}")
            return Database(self, name, self.url(name, owner, password))
        self.psql(f"CREATE DATABASE {name}")
        return Database(self, name, self.url(name))


@dataclass
class Database:
    pg: Postgres
    name: str
    url: str  # what a server's DATABASE_URL is set to

    def psql(self, sql: str) -> str:
        return self.pg.psql(sql, db=self.name)

    def last_used(self, key_id: str) -> float | None:
        """api_keys.last_used_at of the key, as a Unix time."""
        value = self.psql(f"SELECT extract(epoch FROM last_used_at) FROM api_keys WHERE id = '{key_id}'")
        return float(value) if value else None

    def session(self) -> subprocess.Popen:
        """An interactive psql (as the superuser) that keeps its transaction open until told:
        write SQL to its stdin; kill it to end the session."""
        return subprocess.Popen(
            [str(PG_BIN / "psql"), "-X", "-q", "-At", "-h", "127.0.0.1", "-p", str(self.pg.port),
             "-U", "postgres", "-d", self.name],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)


@contextlib.contextmanager
def running_postgres(root: pathlib.Path, **settings: str) -> Iterator[Postgres]:
    pg = Postgres(root, settings)
    try:
        pg.start()
        yield pg
    finally:
        pg.stop()
