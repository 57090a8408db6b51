#!/usr/bin/env python3
"""Seeds scripts/bench --scale data straight into Kagibag's database (Python 3 stdlib only).

    seed.py (--sqlite PATH | --postgres URL) team   --like KEY
        a new team with one key, both copied from the team and key of KEY (an existing key);
        prints the new key's plaintext
    seed.py (--sqlite PATH | --postgres URL) keys   --like KEY (--total N | --add N) [--out FILE]
        adds keys (each with its secret, in new teams of 100 keys) until api_keys holds N rows
        (--add: N more keys); prints the plaintext of one added key, to check against the server;
        --out writes every added key's plaintext to FILE, one a line (--memory's 1,000 keys)
    seed.py (--sqlite PATH | --postgres URL) events --like KEY --team-key KEY2 --total N
        adds events to KEY2's team, copies of the first event of KEY's team, until that team
        has N; ids are UUIDv7 later than the team's existing ones
    seed.py (--sqlite PATH | --postgres URL) activity --like KEY --total N
        adds Activity entries (audit_events) to KEY's team until it has N, copies of the team's
        newest entry made with a key, older than every entry it has (UUIDv7 ids spread over the
        30 days before its first); three more keys in the team, so that the entries are spread
        over four keys, a person, several actions and the team's first 25 events; prints the id
        of the key with the fewest entries (about 1 %), for the Activity filter who=key:<id>

Every row is a copy of a row the server wrote itself (same column storage: on SQLite UUIDs as
the server stores them, dates as REAL; on PostgreSQL through COPY in text format), with new ids,
names and secrets. Keys are real: kgb_ + 40 base62 + the base62 CRC32 of the rest, stored as the
lower-case hex SHA-256 digest, as Sources/APIKeyCore/APIKeyToken.swift makes them. The server
must be stopped (SQLite) or idle while this runs. SQLite gets a WAL checkpoint at the end,
PostgreSQL a VACUUM ANALYZE of the tables written and a CHECKPOINT, so nothing of the load is
left to do while the server is measured.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
import zlib

ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Bytes 0..247 map evenly onto the 62 characters (4 times each); 248..255 are dropped.
_TABLE = bytes(ALPHABET[i % 62] for i in range(256))
_DROP = bytes(range(248, 256))
KEYS_PER_TEAM = 100


def base62(value: int, width: int) -> str:
    out = bytearray()
    while value > 0:
        out.append(ALPHABET[value % 62])
        value //= 62
    return (bytes(out[::-1]).rjust(width, b"0")).decode()


def new_key() -> str:
    random = b""
    while len(random) < 40:
        random += os.urandom(64).translate(_TABLE, _DROP)
    body = "kgb_" + random[:40].decode()
    return body + base62(zlib.crc32(body.encode()), 6)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def uuid7(millis: int) -> uuid.UUID:
    raw = bytearray(millis.to_bytes(6, "big") + os.urandom(10))
    raw[6] = (raw[6] & 0x0F) | 0x70
    raw[8] = (raw[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(raw))


def uuid7_millis(value: str) -> int:
    return int(uuid.UUID(value).hex[:12], 16)


class SQLite:
    """Rows as Python values, written with executemany in one transaction."""

    def __init__(self, path: str) -> None:
        if not os.path.exists(path):
            sys.exit(f"seed.py: no database at {path}")
        self.db = sqlite3.connect(path, timeout=60, isolation_level=None)
        self.db.execute("PRAGMA synchronous = OFF")
        self.db.execute("PRAGMA cache_size = -1048576")  # 1 GiB for this connection: index inserts stay in memory
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("BEGIN IMMEDIATE")
        self.uuid_style = None

    def columns(self, table: str) -> list[str]:
        return [row[1] for row in self.db.execute(f'PRAGMA table_info("{table}")')]

    def row(self, table: str, where: str, value) -> dict | None:
        cursor = self.db.execute(f'SELECT * FROM "{table}" WHERE {where} = ? LIMIT 1', (value,))
        found = cursor.fetchone()
        if found is None:
            return None
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, found))
        if self.uuid_style is None and table == "api_keys":
            self.uuid_style = row["id"]
        return row

    def scalar(self, sql: str, *params):
        found = self.db.execute(sql, params).fetchone()
        return None if found is None else found[0]

    def uuid(self, value: uuid.UUID):
        """In the form the server stored the template key's id: text (upper or lower case) or a blob."""
        sample = self.uuid_style
        if isinstance(sample, bytes):
            return value.bytes
        return str(value).upper() if sample == sample.upper() else str(value)

    def text_uuid(self, stored) -> str:
        return str(uuid.UUID(bytes=stored)) if isinstance(stored, bytes) else str(stored)

    def insert(self, table: str, columns: list[str], rows) -> int:
        marks = ", ".join("?" for _ in columns)
        names = ", ".join(f'"{c}"' for c in columns)
        before = self.db.total_changes
        self.db.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', (tuple(r[c] for c in columns) for r in rows))
        return self.db.total_changes - before

    def finish(self, tables: list[str]) -> None:
        self.db.execute("COMMIT")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class Postgres:
    """Rows as the raw fields of COPY's text format (so every value round-trips unchanged),
    written by one psql COPY per table in one transaction."""

    NULL = "\\N"

    def __init__(self, url: str) -> None:
        self.url = url
        self.pipe: subprocess.Popen | None = None

    def write(self, text: str) -> None:
        if self.pipe is None:
            self.pipe = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            # Foreign-key triggers off for this transaction (they cost more than the rows: a
            # million keys took over four minutes with them on a busy machine); finish() checks
            # every reference afterwards instead.
            self.pipe.stdin.write("BEGIN;\nSET LOCAL session_replication_role = replica;\n")
        self.pipe.stdin.write(text)

    def psql(self, sql: str) -> str:
        run = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-At", self.url, "-c", sql],
                             capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"seed.py: psql failed: {run.stderr.strip()}")
        return run.stdout

    def columns(self, table: str) -> list[str]:
        out = self.psql(f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' "
                        "AND table_schema = current_schema() ORDER BY ordinal_position")
        return out.split()

    def row(self, table: str, where: str, value) -> dict | None:
        names = self.columns(table)
        out = self.psql(f"COPY (SELECT * FROM \"{table}\" WHERE {where} = {self.literal(value)} LIMIT 1) TO STDOUT")
        if not out.strip("\n"):
            return None
        return dict(zip(names, out.rstrip("\n").split("\t")))

    def scalar(self, sql: str, *params):
        for p in params:
            sql = sql.replace("?", self.literal(p), 1)
        return self.psql(sql).strip()

    @staticmethod
    def literal(value) -> str:
        return "'" + str(value).replace("'", "''") + "'"

    def uuid(self, value: uuid.UUID) -> str:
        return str(value)

    def text_uuid(self, stored) -> str:
        return str(stored)

    @staticmethod
    def field(value) -> str:
        if value is None:
            return Postgres.NULL
        if isinstance(value, RawField):
            return value.text
        text = str(value)
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")

    def insert(self, table: str, columns: list[str], rows) -> int:
        names = ", ".join(f'"{c}"' for c in columns)
        self.write(f'COPY "{table}" ({names}) FROM STDIN;\n')
        count = 0
        for r in rows:
            self.write("\t".join(self.field(r[c]) for c in columns) + "\n")
            count += 1
        self.write("\\.\n")
        return count

    # Every reference the seeded tables hold, checked after the load (the triggers were off).
    REFERENCES = {
        "teams": [],
        "memberships": [("team_id", "teams"), ("user_id", "users")],
        "api_keys": [("team_id", "teams"), ("created_by_id", "users")],
        "api_key_secrets": [("key_id", "api_keys")],
        "events": [("team_id", "teams")],
        "audit_events": [("team_id", "teams")],
    }

    def finish(self, tables: list[str]) -> None:
        self.write("COMMIT;\n" + "".join(f'VACUUM ANALYZE "{t}";\n' for t in tables) + "CHECKPOINT;\n")
        out, _ = self.pipe.communicate()
        if self.pipe.returncode != 0:
            sys.exit(f"seed.py: psql failed: {out.strip()[-2000:]}")
        for table in tables + ["memberships"]:
            for column, parent in self.REFERENCES.get(table, []):
                orphans = self.psql(f'SELECT count(*) FROM "{table}" c LEFT JOIN "{parent}" p ON p.id = c."{column}" '
                                    f'WHERE p.id IS NULL').strip()
                if orphans != "0":
                    sys.exit(f"seed.py: {orphans} rows of {table} reference no {parent} row")


class RawField:
    """A template field kept exactly as COPY wrote it."""

    def __init__(self, text: str) -> None:
        self.text = text


def template_rows(db, key: str):
    """The secret, key, team and membership rows behind an existing key."""
    secret = db.row("api_key_secrets", "digest", digest(key))
    if secret is None:
        sys.exit("seed.py: the template key is not in the database")
    if isinstance(db, Postgres):
        secret = {k: RawField(v) for k, v in secret.items()}
        key_row = {k: RawField(v) for k, v in db.row("api_keys", "id", secret["key_id"].text).items()}
        team = {k: RawField(v) for k, v in db.row("teams", "id", key_row["team_id"].text).items()}
    else:
        key_row = db.row("api_keys", "id", secret["key_id"])
        team = db.row("teams", "id", key_row["team_id"])
    return secret, key_row, team


def raw(value):
    return value.text if isinstance(value, RawField) else value


def fresh_key_rows(db, key_like: dict, secret_like: dict, team_id, name: str):
    plaintext = new_key()
    key_id = db.uuid(uuid.uuid4())
    key_row = dict(key_like)
    key_row.update(id=key_id, team_id=team_id, name=name, last_four=plaintext[-4:])
    for column in key_row:
        if column.startswith("last_used") or column == "expiry_recorded_at":
            key_row[column] = None
    secret_row = dict(secret_like)
    secret_row.update(id=db.uuid(uuid.uuid4()), key_id=key_id, digest=digest(plaintext), last_four=plaintext[-4:],
                      last_used_at=None, ends_at=None)
    return plaintext, key_row, secret_row


def cmd_team(db, args) -> None:
    secret, key_like, team_like = template_rows(db, args.like)
    if isinstance(db, SQLite):
        db.uuid_style = key_like["id"]
    suffix = uuid.uuid4().hex[:10]
    team = dict(team_like)
    team.update(id=db.uuid(uuid.uuid4()), name=f"Bench scale team {suffix}", slug=f"bench-scale-{suffix}")
    plaintext, key_row, secret_row = fresh_key_rows(db, key_like, secret, team["id"], "scale")
    db.insert("teams", list(team), [team])
    membership = db.row("memberships", "team_id", raw(team_like["id"]))
    if membership is not None:
        if isinstance(db, Postgres):
            membership = {k: RawField(v) for k, v in membership.items()}
        membership.update(id=db.uuid(uuid.uuid4()), team_id=team["id"])
        db.insert("memberships", list(membership), [membership])
    db.insert("api_keys", list(key_row), [key_row])
    db.insert("api_key_secrets", list(secret_row), [secret_row])
    db.finish(["teams", "api_keys", "api_key_secrets"])
    print(plaintext)


def cmd_keys(db, args) -> None:
    secret, key_like, team_like = template_rows(db, args.like)
    if isinstance(db, SQLite):
        db.uuid_style = key_like["id"]
    have = int(db.scalar("SELECT count(*) FROM api_keys"))
    need = args.add if args.add is not None else args.total - have
    if need < 0:
        sys.exit(f"seed.py: api_keys already holds {have} rows, more than {args.total}" if args.add is None
                 else "seed.py: --add takes a whole number, 0 or more")
    started = time.monotonic()
    sample, added_teams, done = "", 0, 0
    out = open(args.out, "w", encoding="utf-8") if args.out else None
    while done < need:
        teams, keys, secrets = [], [], []
        for i in range(done, min(need, done + 100 * KEYS_PER_TEAM)):
            if i % KEYS_PER_TEAM == 0:
                suffix = uuid.uuid4().hex[:12]
                team = dict(team_like)
                team.update(id=db.uuid(uuid.uuid4()), name=f"Bench filler team {suffix}", slug=f"bench-filler-{suffix}")
                teams.append(team)
            sample, key_row, secret_row = fresh_key_rows(db, key_like, secret, teams[-1]["id"], f"filler {i % KEYS_PER_TEAM + 1}")
            if out:
                out.write(sample + "\n")
            keys.append(key_row)
            secrets.append(secret_row)
        db.insert("teams", list(teams[0]), teams)
        db.insert("api_keys", list(keys[0]), keys)
        db.insert("api_key_secrets", list(secrets[0]), secrets)
        done += len(keys)
        added_teams += len(teams)
    if out:
        out.close()
    db.finish(["teams", "api_keys", "api_key_secrets"])
    total = int(db.scalar("SELECT count(*) FROM api_keys"))
    print(f"added {need} keys in {added_teams} new teams of up to {KEYS_PER_TEAM} in {time.monotonic() - started:.1f} s",
          file=sys.stderr)
    if total != have + need:
        sys.exit(f"seed.py: api_keys holds {total} rows, expected {have + need}")
    print(sample)


def template_and_need(db, table: str, template_id, team, total: int, what: str):
    """The row to copy (its fields passed through as they are on PostgreSQL), how many rows of
    `table` the team has, and how many to add to reach `total`."""
    template = db.row(table, "id", template_id)
    if isinstance(db, Postgres):
        template = {k: RawField(v) for k, v in template.items()}
    have = int(db.scalar(f"SELECT count(*) FROM {table} WHERE team_id = ?", team))
    if have > total:
        sys.exit(f"seed.py: the team already has {have} {what}, more than {total}")
    return template, have, total - have


def cmd_events(db, args) -> None:
    _, like_key, _ = template_rows(db, args.like)
    _, team_key, _ = template_rows(db, args.team_key)
    if isinstance(db, SQLite):
        db.uuid_style = like_key["id"]
    like_team, team = raw(like_key["team_id"]), raw(team_key["team_id"])
    template_id = db.scalar("SELECT id FROM events WHERE team_id = ? ORDER BY id LIMIT 1", like_team)
    if template_id in (None, ""):
        sys.exit("seed.py: the template key's team has no events")
    template, have, need = template_and_need(db, "events", template_id, team, args.total, "events")
    last = db.scalar("SELECT id FROM events WHERE team_id = ? ORDER BY id DESC LIMIT 1", team)
    # One millisecond apart, after the team's newest event (or ten days ago): ids grow in
    # insertion order, so the first pages stay the same rows as the team grows.
    start = uuid7_millis(db.text_uuid(last)) + 1 if last not in (None, "") else int(time.time() * 1000) - 10 * 86400 * 1000
    started = time.monotonic()
    for chunk in range(0, need, 10_000):
        rows = []
        for i in range(chunk, min(need, chunk + 10_000)):
            row = dict(template)
            row.update(id=db.uuid(uuid7(start + i)), team_id=RawField(team) if isinstance(db, Postgres) else team,
                       name=f"Scale event {have + i + 1}")
            rows.append(row)
        db.insert("events", list(rows[0]), rows)
    db.finish(["events"])
    total = int(db.scalar("SELECT count(*) FROM events WHERE team_id = ?", team))
    print(f"added {need} events in {time.monotonic() - started:.1f} s", file=sys.stderr)
    if total != args.total:
        sys.exit(f"seed.py: the team has {total} events, expected {args.total}")


# What the seeded Activity entries do, and how often: (action, share, needs an event, summary).
# API writes by the four keys (85 %), browser changes by the team's admin (15 %).
KEY_ACTIONS = [
    ("attendee.registered", 0.35, "registered {guest} for “{event}”"),
    ("attendee.checked_in", 0.20, "checked in {guest} at “{event}”"),
    ("event.updated", 0.30, "changed event “{event}”"),
    ("attendee.updated", 0.05, "changed the registration of {guest} at “{event}”"),
    ("event.created", 0.10, "created event “{event}”"),
]
PERSON_ACTIONS = [
    ("event.updated", 0.50, "changed event “{event}”"),
    ("attendee.deleted", 0.30, "deleted the registration of {guest} at “{event}”"),
    ("api_key.changed", 0.15, None),
    ("member.invited", 0.05, None),
]
# Shares of the key-made entries by key: the template's key, then the three added; the last
# (about 1 % of all entries) is the one whose filtered page is measured.
KEY_SHARES = [0.55, 0.30, 0.14, 0.01]


def pick(rng: random.Random, table):
    x, acc = rng.random(), 0.0
    for entry in table:
        acc += entry[1]
        if x < acc:
            return entry
    return table[-1]


def cmd_activity(db, args) -> None:
    secret, key_like, team_like = template_rows(db, args.like)
    if isinstance(db, SQLite):
        db.uuid_style = key_like["id"]
    pg = isinstance(db, Postgres)
    team = raw(key_like["team_id"])
    template_id = db.scalar("SELECT id FROM audit_events WHERE team_id = ? AND key_id IS NOT NULL ORDER BY id DESC LIMIT 1",
                            team)
    if template_id in (None, ""):
        sys.exit("seed.py: the team has no Activity entry made with a key (its events were created through the API)")
    template, _, need = template_and_need(db, "audit_events", template_id, team, args.total, "Activity entries")
    oldest = db.scalar("SELECT id FROM audit_events WHERE team_id = ? ORDER BY id LIMIT 1", team)
    # The person: the team's first member (the admin who signed up), by name.
    user_id = db.scalar("SELECT user_id FROM memberships WHERE team_id = ? ORDER BY id LIMIT 1", team)
    user_name = db.scalar("SELECT name FROM users WHERE id = ?", user_id)
    # The team's first 25 events: (id as stored, name).
    if pg:
        events = [tuple(line.split("|", 1)) for line in  # psql -At: fields split by |, the id first
                  db.psql(f"SELECT id, name FROM events WHERE team_id = {db.literal(team)} ORDER BY id LIMIT 25").splitlines()]
    else:
        events = db.db.execute("SELECT id, name FROM events WHERE team_id = ? ORDER BY id LIMIT 25", (team,)).fetchall()
    if not events:
        sys.exit("seed.py: the team has no events")
    # Three more keys in the team, copies of the template key (entries name live keys, as most do).
    keys = [(raw(key_like["id"]), raw(key_like["last_four"]), raw(key_like["name"]))]
    for n in range(2, 5):
        _, key_row, secret_row = fresh_key_rows(db, key_like, secret, key_like["team_id"], f"activity key {n}")
        db.insert("api_keys", list(key_row), [key_row])
        db.insert("api_key_secrets", list(secret_row), [secret_row])
        keys.append((key_row["id"], key_row["last_four"], key_row["name"]))
    # Entries one step apart, all before the team's first: 30 days for the whole load.
    end = uuid7_millis(db.text_uuid(oldest))
    step = max(1, 30 * 86400 * 1000 // max(need, 1))
    start = end - step * (need + 1)
    created = str(template["created_at"].text if pg else template["created_at"])
    utc_suffix = created[created.index("+"):] if pg and "+" in created else ""

    def stamp(millis: int):
        if not pg:
            return millis / 1000
        return datetime.datetime.fromtimestamp(millis / 1000, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f") + utc_suffix

    rng = random.Random(25)
    started = time.monotonic()
    counts = [0] * len(keys)
    columns = list(template)
    for chunk in range(0, need, 10_000):
        rows = []
        for i in range(chunk, min(need, chunk + 10_000)):
            millis = start + i * step
            row = dict(template)
            event_id, event_name = events[rng.randrange(len(events))]
            guest = f"Guest {rng.randrange(1, 100_000)}"
            if rng.random() < 0.85:
                action, _, summary = pick(rng, KEY_ACTIONS)
                k = pick(rng, [(j, share) for j, share in enumerate(KEY_SHARES)])[0]
                counts[k] += 1
                key_id, last_four, key_name = keys[k]
                row.update(actor_id=None, actor=f"API key “{key_name}”", key_id=key_id, key_last_four=last_four)
            else:
                action, _, summary = pick(rng, PERSON_ACTIONS)
                row.update(actor_id=user_id, actor=user_name, key_id=None, key_last_four=None)
            changes = None
            if action == "event.updated":
                changes = json.dumps([{"field": "capacity", "from": str(250 + i % 50), "to": str(251 + i % 50)}],
                                     separators=(",", ":"))  # as the server writes it: no spaces
            if summary is None:
                summary = "changed API key “bench” (…" + keys[0][1] + "): name" if action == "api_key.changed" \
                    else f"invited guest{i}@example.com as member"
                event_id = None
            row.update(id=db.uuid(uuid7(millis)), action=action, created_at=stamp(millis),
                       summary=summary.format(guest=guest, event=event_name), changes=changes,
                       event_id=event_id,
                       request_id=str(uuid.uuid4()).upper(), client_address="127.0.0.1")
            rows.append(row)
        db.insert("audit_events", columns, rows)
    db.finish(["audit_events", "api_keys", "api_key_secrets"])
    total = int(db.scalar("SELECT count(*) FROM audit_events WHERE team_id = ?", team))
    print(f"added {need} Activity entries ({', '.join(f'{c} by key {n + 1}' for n, c in enumerate(counts))}, "
          f"{need - sum(counts)} by {user_name}; one every {step / 1000:g} s) in {time.monotonic() - started:.1f} s",
          file=sys.stderr)
    if total != args.total:
        sys.exit(f"seed.py: the team has {total} Activity entries, expected {args.total}")
    print(db.text_uuid(keys[-1][0]).lower())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--sqlite", metavar="PATH")
    where.add_argument("--postgres", metavar="URL")
    sub = parser.add_subparsers(dest="command", required=True)
    team = sub.add_parser("team")
    team.add_argument("--like", required=True)
    keys = sub.add_parser("keys")
    keys.add_argument("--like", required=True)
    size = keys.add_mutually_exclusive_group(required=True)
    size.add_argument("--total", type=int)
    size.add_argument("--add", type=int)
    keys.add_argument("--out", metavar="FILE")
    events = sub.add_parser("events")
    events.add_argument("--like", required=True)
    events.add_argument("--team-key", required=True)
    events.add_argument("--total", type=int, required=True)
    activity = sub.add_parser("activity")
    activity.add_argument("--like", required=True)
    activity.add_argument("--total", type=int, required=True)
    args = parser.parse_args()
    db = SQLite(args.sqlite) if args.sqlite else Postgres(args.postgres)
    {"team": cmd_team, "keys": cmd_keys, "events": cmd_events, "activity": cmd_activity}[args.command](db, args)


if __name__ == "__main__":
    main()
