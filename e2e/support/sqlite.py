"""Reading a server's SQLite file (kagibag.sqlite in its working directory) from outside."""

from __future__ import annotations

import pathlib
import shutil
import sqlite3
import subprocess
import uuid


def pragma(path: pathlib.Path, statement: str) -> str:
    """Runs `statement` on the file with the sqlite3 tool (Python's module if the tool is missing)."""
    tool = shutil.which("sqlite3")
    if tool:
        run = subprocess.run([tool, str(path), statement], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
        assert run.returncode == 0, f"sqlite3 {statement}: {run.stderr}"
        return run.stdout.strip()
    with sqlite3.connect(str(path), timeout=30) as db:
        return "\n".join("|".join(str(c) for c in row) for row in db.execute(statement).fetchall()).strip()


def active_attendees(path: pathlib.Path, event_id: str) -> int:
    """events.active_attendees of the event, read-only."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        # UUIDs are stored as 16-byte blobs or text depending on the driver; try both.
        for value in (uuid.UUID(event_id).bytes, event_id, event_id.upper()):
            row = db.execute("SELECT active_attendees FROM events WHERE id = ?", (value,)).fetchone()
            if row:
                return int(row[0])
    raise AssertionError(f"event {event_id} not found in {path}")


def count_rows(path: pathlib.Path, table: str) -> int:
    """How many rows `table` has, read-only."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def audit_trail(path: pathlib.Path) -> list[tuple[str, str, str]]:
    """Every activity entry as (action, actor's name, summary), in the order they were written."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        return [tuple(row) for row in db.execute("SELECT action, actor, summary FROM audit_events ORDER BY rowid")]


def age_key(path: pathlib.Path, key: str, days: int) -> None:
    """Makes the key whose last four `key` ends with `days` older (its creation time, stored as
    seconds since 1970): the page suggests restricting a key only after watching it for a week."""
    last_four = key[-4:]
    assert last_four.isalnum()
    pragma(path, f"UPDATE api_keys SET created_at = created_at - {days * 86400} WHERE last_four = '{last_four}'")


def expire_keys_in(path: pathlib.Path, name_prefix: str, days: float, made_days_ago: int = 30) -> None:
    """Gives the keys whose names start with `name_prefix` an expiry `days` from now, as if they
    had been made `made_days_ago` days ago (a key made to live a week or less gets no notice)."""
    assert name_prefix.replace(" ", "").isalnum()
    pragma(path, f"UPDATE api_keys SET expires_at = CAST(strftime('%s', 'now') AS REAL) + {days * 86400}, "
                 f"created_at = created_at - {made_days_ago * 86400} WHERE name LIKE '{name_prefix}%'")
