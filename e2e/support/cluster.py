"""Several Kagibag instances on one PostgreSQL behind nginx, as docs/deploy.md sets them up.

Three `kagibag serve --env production` processes, started at the same moment on an empty
database (one role owning one database, as in docs/deploy.md), and nginx rendered from
deploy/nginx.conf (TLS with a throwaway self-signed certificate, round-robin across the three).
Everything listens on 127.0.0.1 only and is removed at the end (KAGIBAG_KEEP_TMP=1 keeps the
working directory, with the logs of every process).

Needs (Debian 12): postgresql-15, nginx, openssl; run as root (PostgreSQL runs as the
`postgres` user through runuser) or as a user that can run initdb itself.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from support.kagibag import Kagibag, server_env
from support.nginx import Nginx, running_nginx
from support.postgres import Database, running_postgres
from support.secret_scanning import PartnerKeys, make_partner_keys
from support.processes import free_port, tail, work_dir
from support.tools import BINARY, NGINX, PG_BIN, require
from support.web import WebClient, signed_up_client

INSTANCE_NAMES = ("a", "b", "c")
POOL_SIZE = 2  # KAGIBAG_DB_POOL_SIZE of every instance
# PostgreSQL's limits for this cluster: see "Sizing the connection pools" in docs/deploy.md.
PG_MAX_CONNECTIONS = 40
PG_RESERVED = 3  # superuser_reserved_connections (PostgreSQL's default)
# The EnvironmentFile of docs/deploy.md ("several instances"); each instance adds its
# KAGIBAG_PORT and the DATABASE_URL of the cluster's database.
INSTANCE_SETTINGS = {
    "KAGIBAG_HOST": "127.0.0.1",
    "KAGIBAG_DB_POOL_SIZE": str(POOL_SIZE),
    "KAGIBAG_SECURE_COOKIES": "true",
    "KAGIBAG_TRUSTED_PROXIES": "127.0.0.1",  # nginx, as the instances see it
    "KAGIBAG_LAST_USED_FLUSH_SECONDS": "1",  # 15 in docs/deploy.md: a shorter test
    "LOG_LEVEL": "info",
}
SERVE = ("serve", "--env", "production")
DB_PASSWORD = "kagibag-test-password"
MIGRATOR_RE = re.compile(r"\[Migrator\] (Starting|Finished|Failed) prepare.*?migration: ([^\s\],]+)")


@dataclass
class Cluster:
    db: Database
    instances: list[Kagibag]
    nginx: Nginx
    partner: PartnerKeys  # GitHub's stand-in: every instance trusts its public key

    def __getitem__(self, name: str) -> Kagibag:
        return next(i for i in self.instances if i.name == name)

    def signed_up_client(self, key_name: str = "Integration") -> tuple[WebClient, str, str]:
        """A new user and team, signed up through instance a, with a fresh key: (client, key, key id)."""
        return signed_up_client(self["a"].url, key_name)

    def print_logs(self) -> None:
        for i in self.instances:
            print(f"--- instance {i.name} log (tail) ---\n{i.log_tail(30)}")
        print(f"--- nginx error log ---\n{tail(self.nginx.error_log, 20)}")


@contextlib.contextmanager
def running_cluster(extra_settings: dict[str, str] | None = None) -> Iterator[Cluster]:
    """The cluster; `extra_settings` are added to every instance's environment (after INSTANCE_SETTINGS)."""
    require(BINARY, PG_BIN / "initdb", NGINX, "openssl", why="for the multi-instance test",
            install="swift build; apt-get install postgresql nginx openssl")
    with work_dir("kagibag-multi-") as work, running_postgres(
        work / "pg", max_connections=str(PG_MAX_CONNECTIONS), superuser_reserved_connections=str(PG_RESERVED),
        synchronous_commit="off",
    ) as pg:
        db = pg.new_database("kagibag", owner="kagibag", password=DB_PASSWORD)
        partner = make_partner_keys(work / "github")
        instances = []
        for name in INSTANCE_NAMES:
            port = free_port()
            env = server_env(**{**INSTANCE_SETTINGS, **(extra_settings or {})}, DATABASE_URL=db.url,
                             KAGIBAG_PORT=str(port), KAGIBAG_SECRET_SCANNING_KEYS=str(partner.document))
            instances.append(Kagibag(work / f"instance-{name}", env, port=port, name=name, command=SERVE,
                                     cli_env={"KAGIBAG_AUTO_MIGRATE": "false"}))  # as an operator runs it
        try:
            # All three at the same moment, on the empty database.
            for instance in instances:
                instance.start(wait=False)
            for instance in instances:
                instance.wait_healthy()
            with running_nginx(work / "nginx", [i.port for i in instances]) as nginx:
                yield Cluster(db, instances, nginx, partner)
        finally:
            for instance in instances:
                instance.stop()
