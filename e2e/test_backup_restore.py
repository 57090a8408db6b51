"""The backup drill of docs/deploy.md, run as an operator would (#27, part 7): a backup taken
while the server serves (SQLite's online `.backup`; `pg_dump --format=custom`), the server
stopped, the backup restored into a fresh place, a server started on it: the keys of the backup
verify again, and, as the docs warn, a key deleted after the backup works again until it is
deleted anew."""

from __future__ import annotations

import shutil
import subprocess

from support.api import call_api
from support.kagibag import HARDENING_SETTINGS, running, server_env
from support.processes import work_dir
from support.web import signed_up_client


def keys_before_backup(base: str) -> tuple[str, str, object, str]:
    """A team with two keys; returns (kept key, key to delete after the backup, its owner's web
    client, that key's row id)."""
    web, kept, _ = signed_up_client(base, "Kept")
    doomed, doomed_id = web.create_key(base, "Deleted after the backup")
    for key in (kept, doomed):
        assert call_api(base, key).status_code == 200
    return kept, doomed, web, doomed_id


def test_a_sqlite_backup_taken_while_serving_restores_to_a_server_where_the_same_keys_verify():
    with work_dir("kagibag-backup-") as d:
        env = server_env(**HARDENING_SETTINGS)
        backup = d / "kagibag-backup.sqlite"
        with running(d / "live", env) as live:
            kept, doomed, web, doomed_id = keys_before_backup(live.url)
            # As docs/deploy.md writes it: SQLite's online backup of the running server's file.
            subprocess.run(["sqlite3", str(live.sqlite_path), f".backup '{backup}'"], check=True, timeout=60)
            check = subprocess.run(["sqlite3", str(backup), "PRAGMA integrity_check"], check=True,
                                   capture_output=True, text=True, timeout=60)
            assert check.stdout.strip() == "ok", check.stdout
            web.delete_key(live.url, doomed_id)
            assert call_api(live.url, doomed).status_code == 401
        (d / "restored").mkdir()
        shutil.copy(backup, d / "restored" / "kagibag.sqlite")
        with running(d / "restored", env) as restored:
            assert call_api(restored.url, kept).status_code == 200
            # The docs' warning, proved: a key deleted after the backup works again.
            assert call_api(restored.url, doomed).status_code == 200


def test_a_pg_dump_taken_while_serving_restores_to_a_server_where_the_same_keys_verify(postgres):
    live_db = postgres.new_database("drill_live")
    with work_dir("kagibag-pgbackup-") as d:
        dump = d / "kagibag.dump"
        with running(d / "live", server_env(**HARDENING_SETTINGS, DATABASE_URL=live_db.url)) as live:
            kept, doomed, web, doomed_id = keys_before_backup(live.url)
            subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", live_db.url], check=True, timeout=120)
            web.delete_key(live.url, doomed_id)
            assert call_api(live.url, doomed).status_code == 401
        restored_db = postgres.new_database("drill_restored")
        subprocess.run(["pg_restore", "--no-owner", f"--dbname={restored_db.url}", str(dump)], check=True,
                       timeout=120)
        with running(d / "restored", server_env(**HARDENING_SETTINGS, DATABASE_URL=restored_db.url)) as restored:
            assert call_api(restored.url, kept).status_code == 200
            assert call_api(restored.url, doomed).status_code == 200
