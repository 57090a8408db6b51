"""Several Kagibag instances on one PostgreSQL behind nginx, as docs/deploy.md sets them up.

Self-contained: this module starts its own throwaway PostgreSQL 15, three `kagibag serve
--env production` processes started at the same moment on the empty database, and nginx
rendered from deploy/nginx.conf (TLS with a throwaway self-signed certificate, round-robin
across the three). Everything listens on 127.0.0.1 only and is removed at the end.

Needs (Debian 12): postgresql-15, nginx, openssl, chromium; run as root (PostgreSQL runs as
the `postgres` user through runuser) or as a user that can run initdb itself.
KAGIBAG_KEEP_TMP=1 keeps the working directory (logs of every process) for a look afterwards.
"""

from __future__ import annotations

import collections
import concurrent.futures
import datetime as dt
import os
import pathlib
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field

import pytest
import requests
import requests.adapters
from playwright.sync_api import expect

REPO = pathlib.Path(__file__).resolve().parent.parent
BINARY = pathlib.Path(os.environ.get("KAGIBAG_BIN") or REPO / ".build" / "debug" / "kagibag")
NGINX_TEMPLATE = REPO / "deploy" / "nginx.conf"
PG_BIN = pathlib.Path(os.environ.get("KAGIBAG_PG_BIN", "/usr/lib/postgresql/15/bin"))
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CHROMIUM = os.environ.get("KAGIBAG_CHROMIUM", "/usr/bin/chromium")

INSTANCE_NAMES = ("a", "b", "c")
POOL_SIZE = 2  # KAGIBAG_DB_POOL_SIZE of every instance
# PostgreSQL's limits for this cluster: see "Sizing the connection pools" in docs/deploy.md.
PG_MAX_CONNECTIONS = 40
PG_RESERVED = 3  # superuser_reserved_connections (PostgreSQL's default)
# The EnvironmentFile of docs/deploy.md ("several instances"); each instance adds its
# KAGIBAG_PORT and the DATABASE_URL of this module's PostgreSQL.
INSTANCE_SETTINGS = {
    "KAGIBAG_HOST": "127.0.0.1",
    "KAGIBAG_DB_POOL_SIZE": str(POOL_SIZE),
    "KAGIBAG_SECURE_COOKIES": "true",
    "KAGIBAG_TRUSTED_PROXIES": "127.0.0.1",  # nginx, as the instances see it
    "KAGIBAG_LAST_USED_FLUSH_SECONDS": "1",  # 15 in docs/deploy.md: a shorter test
    "LOG_LEVEL": "info",
}
SERVE = ["serve", "--env", "production"]
STARTUP_TIMEOUT_S = 90
PASSWORD = "correct horse battery staple"
DB_PASSWORD = "kagibag-test-password"
EVENTS = "/api/v1/organizer/events"
KEY_INFO = "/api/v1/organizer/key"
KEY_RE = re.compile(r'id="new-api-key"[^>]*value="(kgb_[0-9A-Za-z]{46})"')
CSRF_RE = re.compile(r'name="_csrf" value="([^"]+)"')
NONCE_RE = re.compile(r'name="nonce" value="([^"]+)"')
SLUG_RE = re.compile(r'id="team-slug"[^>]*>.*?<code>([^<]+)</code>', re.S)
MIGRATOR_RE = re.compile(r"\[Migrator\] (Starting|Finished|Failed) prepare.*?migration: ([^\s\],]+)")
NGINX_LINE_RE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<uri>\S+) [^"]*" (?P<status>\d+) .*?upstream=(?P<upstream>\S+) '
    r".*?request_id=(?P<rid>[0-9a-f]+)"
)


# --- processes -----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: pathlib.Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # loopback only: never through a proxy
    return s


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@dataclass
class Postgres:
    root: pathlib.Path
    port: int = 0

    @property
    def data(self) -> pathlib.Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgres://kagibag:{DB_PASSWORD}@127.0.0.1:{self.port}/kagibag?sslmode=disable"

    def start(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self.root.chmod(0o700)
        run = subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                          "-E", "UTF8", "--no-locale", "--no-sync"]),
            capture_output=True, text=True, timeout=120,
        )
        assert run.returncode == 0, f"initdb failed:\n{run.stdout}\n{run.stderr}"
        for _ in range(3):
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
                f"-c max_connections={PG_MAX_CONNECTIONS} -c superuser_reserved_connections={PG_RESERVED} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            )
            run = subprocess.run(
                _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                              "-w", "-t", "60", "-o", options, "start"]),
                capture_output=True, text=True, timeout=90,
            )
            if run.returncode == 0:
                break
        else:
            pytest.fail(f"PostgreSQL did not start:\n{_tail(self.root / 'server.log')}", pytrace=False)
        # As in docs/deploy.md: one role and one database owned by it.
        self.psql(f"CREATE ROLE kagibag LOGIN PASSWORD '{DB_PASSWORD}'", db="postgres")
        self.psql("CREATE DATABASE kagibag OWNER kagibag", db="postgres")

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True, timeout=60,
        )

    def psql(self, sql: str, db: str = "kagibag") -> str:
        run = subprocess.run(
            [str(PG_BIN / "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
             "-p", str(self.port), "-U", "postgres", "-d", db, "-c", sql],
            capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL,
            env={**os.environ, "PGCONNECT_TIMEOUT": "5"},
        )
        assert run.returncode == 0, f"psql {sql!r} failed: {run.stderr}"
        return run.stdout.strip()

    def last_used(self, key_id: str) -> float | None:
        """api_keys.last_used_at of the key, as a Unix time."""
        value = self.psql(f"SELECT extract(epoch FROM last_used_at) FROM api_keys WHERE id = '{key_id}'")
        return float(value) if value else None


@dataclass
class Instance:
    name: str
    dir: pathlib.Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen | None = field(default=None, repr=False)
    _log: object = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> pathlib.Path:
        return self.dir / "kagibag.log"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start(self, **overrides: str) -> None:
        assert self.process is None or self.process.poll() is not None, f"{self.name} is running"
        if self._log:
            self._log.close()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [str(BINARY), *SERVE],
            cwd=self.dir, env={**self.env, **overrides},
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer"
        with http() as s:
            while True:
                if self.process.poll() is not None:
                    pytest.fail(f"instance {self.name} exited with {self.process.returncode} before "
                                f"answering /healthz; log:\n{_tail(self.log_path)}", pytrace=False)
                try:
                    r = s.get(self.url + "/healthz", timeout=2)
                    if r.status_code == 200 and r.json() == {"status": "ok"}:
                        return
                    last = f"{r.status_code} {r.text[:200]!r}"
                except (requests.RequestException, ValueError) as e:
                    last = repr(e)
                if time.monotonic() > deadline:
                    pytest.fail(f"instance {self.name}: /healthz not 200 within {timeout}s (last: {last}); "
                                f"log:\n{_tail(self.log_path)}", pytrace=False)
                time.sleep(0.2)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"instance {self.name} did not exit within {timeout}s of signal {sig}")

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        """`kagibag ARGS…` as an operator runs it: same database, no migrations."""
        return subprocess.run(
            [str(BINARY), *args], cwd=self.dir, env={**self.env, "KAGIBAG_AUTO_MIGRATE": "false"},
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
        )


@dataclass
class Nginx:
    prefix: pathlib.Path
    https_port: int
    http_port: int
    cert: pathlib.Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def access_log(self) -> pathlib.Path:
        return self.prefix / "logs" / "access.log"

    def access_lines(self) -> list[re.Match]:
        try:
            text = self.access_log.read_text(errors="replace")
        except OSError:
            return []
        return [m for m in map(NGINX_LINE_RE.search, text.splitlines()) if m]

    def session(self) -> requests.Session:
        s = http()
        s.verify = str(self.cert)
        return s


@dataclass
class Cluster:
    pg: Postgres
    instances: list[Instance]
    nginx: Nginx

    def __getitem__(self, name: str) -> Instance:
        return next(i for i in self.instances if i.name == name)


def _render_nginx_conf(https_port: int, http_port: int, cert: pathlib.Path, key: pathlib.Path,
                       instances: list[Instance]) -> str:
    text = NGINX_TEMPLATE.read_text()
    upstreams = "\n        ".join(
        f"server 127.0.0.1:{i.port} max_fails=1 fail_timeout=10s;" for i in instances
    )
    values = {
        "LISTEN_HTTPS": f"127.0.0.1:{https_port}",
        "LISTEN_HTTP": f"127.0.0.1:{http_port}",
        "TLS_CERTIFICATE": str(cert),
        "TLS_KEY": str(key),
        "UPSTREAMS": upstreams,
    }
    lines = text.splitlines(keepends=True)
    used: set[str] = set()

    def fill(line: str) -> str:
        if line.lstrip().startswith("#"):
            return line  # the comments name the placeholders
        for name in re.findall(r"\{\{(\w+)\}\}", line):
            assert name in values, f"deploy/nginx.conf has a placeholder the test does not fill: {name}"
            used.add(name)
            line = line.replace("{{" + name + "}}", values[name])
        return line

    text = "".join(fill(line) for line in lines)
    assert used == set(values), f"deploy/nginx.conf lost placeholders: {set(values) - used}"
    return text


def _start_nginx(work: pathlib.Path, instances: list[Instance]) -> Nginx:
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True)
    (prefix / "temp").mkdir()
    # Run as root, nginx's workers drop to `nobody`: they must reach the temp directories
    # (the master creates and chowns those; the files in logs/ are opened by the master).
    for path in (prefix, prefix / "temp"):
        path.chmod(0o755)
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    run = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        capture_output=True, text=True, timeout=30,
    )
    assert run.returncode == 0, f"openssl failed: {run.stderr}"
    https_port, http_port = _free_port(), _free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(_render_nginx_conf(https_port, http_port, cert, key, instances))
    base = [NGINX, "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "logs" / "error.log")]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t rejected deploy/nginx.conf:\n{check.stderr}"
    nginx = Nginx(prefix, https_port, http_port, cert)
    with open(prefix / "logs" / "stdout.log", "ab") as out:
        nginx.process = subprocess.Popen([*base, "-g", "daemon off;"], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    try:
        with nginx.session() as s:
            while True:
                if nginx.process.poll() is not None:
                    pytest.fail(f"nginx exited with {nginx.process.returncode}:\n"
                                f"{_tail(prefix / 'logs' / 'error.log')}", pytrace=False)
                try:
                    if s.get(nginx.url + "/healthz", timeout=2).status_code == 200:
                        return nginx
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"nginx did not answer /healthz:\n{_tail(prefix / 'logs' / 'error.log')}",
                                pytrace=False)
                time.sleep(0.1)
    except BaseException:
        if nginx.process.poll() is None:
            nginx.process.kill()
            nginx.process.wait(timeout=10)
        raise


@pytest.fixture(scope="module")
def cluster():
    missing = [str(p) for p in (BINARY, PG_BIN / "initdb", pathlib.Path(NGINX)) if not os.access(p, os.X_OK)]
    if not shutil.which("openssl"):
        missing.append("openssl")
    if missing:
        pytest.fail(f"needed for the multi-instance test but missing: {', '.join(missing)} "
                    "(swift build; apt-get install postgresql nginx openssl)", pytrace=False)
    work = pathlib.Path(tempfile.mkdtemp(prefix="kagibag-multi-"))
    work.chmod(0o755)  # PostgreSQL (user postgres) and nginx's workers (nobody) pass through it
    pg = Postgres(work / "pg")
    pg.root.mkdir()
    instances: list[Instance] = []
    nginx: Nginx | None = None
    try:
        pg.start()
        base_env = {k: v for k, v in os.environ.items() if not k.startswith("KAGIBAG_") and k != "DATABASE_URL"}
        for name in INSTANCE_NAMES:
            d = work / f"instance-{name}"
            d.mkdir()
            port = _free_port()
            env = {**base_env, **INSTANCE_SETTINGS, "DATABASE_URL": pg.url, "KAGIBAG_PORT": str(port)}
            instances.append(Instance(name, d, port, env))
        # All three at the same moment, on the empty database.
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.wait_healthy()
        nginx = _start_nginx(work, instances)
        yield Cluster(pg, instances, nginx)
    finally:
        if nginx and nginx.process and nginx.process.poll() is None:
            nginx.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                nginx.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                nginx.process.kill()
                nginx.process.wait()
        for instance in instances:
            try:
                instance.stop(timeout=15)
            except AssertionError:
                pass
            if instance._log:
                instance._log.close()
        pg.stop()
        if os.environ.get("KAGIBAG_KEEP_TMP"):
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


@pytest.fixture
def dump_logs_on_failure(cluster):
    yield
    # Captured output: pytest shows it only when the test failed.
    for i in cluster.instances:
        print(f"--- instance {i.name} log (tail) ---\n{_tail(i.log_path, 30)}")
    print(f"--- nginx error log ---\n{_tail(cluster.nginx.prefix / 'logs' / 'error.log', 20)}")


# --- a browser without a browser: forms, cookies and CSRF by hand --------------------------


class Web:
    """A signed-in (or not) web client whose session cookie travels to any instance.

    The cookie is `Secure` (KAGIBAG_SECURE_COOKIES=true), so it is sent by hand: the
    instances themselves speak plain HTTP behind nginx."""

    def __init__(self) -> None:
        self.s = http()
        self.cookie: str | None = None

    def _headers(self) -> dict[str, str]:
        return {"Cookie": f"kagibag_session={self.cookie}"} if self.cookie else {}

    def _keep_cookie(self, r: requests.Response) -> None:
        for header in r.raw.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            if name.strip() == "kagibag_session":
                value = rest.split(";", 1)[0]
                expired = "max-age=0" in header.lower() or not value
                self.cookie = None if expired else value

    def get(self, base: str, path: str, **kw) -> requests.Response:
        r = self.s.get(base + path, headers=self._headers(), allow_redirects=False, timeout=30, **kw)
        self._keep_cookie(r)
        return r

    def post(self, base: str, path: str, data: dict[str, str], headers: dict[str, str] | None = None,
             **kw) -> requests.Response:
        r = self.s.post(base + path, data=data, headers={**self._headers(), **(headers or {})},
                        allow_redirects=False, timeout=30, **kw)
        self._keep_cookie(r)
        return r

    def form(self, base: str, path: str) -> tuple[str, str]:
        r = self.get(base, path)
        assert r.status_code == 200, f"GET {path}: {r.status_code}"
        return r.text, CSRF_RE.search(r.text).group(1)

    def signup(self, base: str) -> dict[str, str]:
        tag = uuid.uuid4().hex[:10]
        user = {"name": f"Multi {tag[:4]}", "email": f"multi-{tag}@example.com", "password": PASSWORD,
                "team": f"Multi {tag}"}
        _, csrf = self.form(base, "/signup")
        r = self.post(base, "/signup", {**user, "_csrf": csrf})
        assert r.status_code == 303 and r.headers["Location"] == "/admin/team", (r.status_code, r.text[:300])
        return user

    def login(self, base: str, email: str, password: str) -> None:
        _, csrf = self.form(base, "/login")
        r = self.post(base, "/login", {"email": email, "password": password, "_csrf": csrf})
        assert r.status_code == 303 and r.headers["Location"] == "/admin/team", (r.status_code, r.text[:300])

    def team_slug(self, base: str) -> str:
        r = self.get(base, "/admin/team")
        assert r.status_code == 200, r.status_code
        return SLUG_RE.search(r.text).group(1).strip()

    def create_key(self, base: str, name: str) -> tuple[str, str]:
        """Creates an API key; returns (plaintext, row id)."""
        page, csrf = self.form(base, "/admin/team/api-keys/new")
        nonce = NONCE_RE.search(page).group(1)
        r = self.post(base, "/admin/team/api-keys", {"name": name, "nonce": nonce, "_csrf": csrf})
        assert r.status_code == 201, (r.status_code, r.text[:300])
        key = KEY_RE.search(r.text).group(1)
        row = re.search(r'<tr data-key-id="([0-9a-f-]{36})">\s*<td>' + re.escape(name) + "</td>", r.text)
        assert row, "new key's row not on the page"
        assert f"/admin/team/api-keys/{row.group(1)}/delete" in r.text
        return key, row.group(1)

    def delete_key(self, base: str, key_id: str) -> None:
        _, csrf = self.form(base, f"/admin/team/api-keys/{key_id}/delete")
        r = self.post(base, f"/admin/team/api-keys/{key_id}/delete", {"_csrf": csrf})
        assert r.status_code == 303, (r.status_code, r.text[:300])


class FromAddress(requests.adapters.HTTPAdapter):
    """Connects from another loopback address, so that the client is not where nginx is."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def api(base: str, key: str, path: str = KEY_INFO, method: str = "GET", session: requests.Session | None = None,
        **kw) -> requests.Response:
    s = session or http()
    return s.request(method, base + path, headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
                     timeout=30, **kw)


def event_body(n: int, prefix: str = "Burst") -> dict:
    return {"name": f"{prefix} {n}", "starts_at": "2031-05-01T18:00:00Z", "ends_at": "2031-05-01T20:00:00Z",
            "timezone": "Europe/Berlin"}


def _fresh_user_with_key(cluster: Cluster, key_name: str = "Integration") -> tuple[Web, str, str]:
    web = Web()
    web.signup(cluster["a"].url)
    key, key_id = web.create_key(cluster["a"].url, key_name)
    return web, key, key_id


def _wait_for(predicate, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _ensure_running(instance: Instance) -> None:
    """Leaves `instance` serving, for the tests that follow a failed one."""
    if instance.process is not None and instance.process.poll() is None:
        return
    instance.start()
    instance.wait_healthy()


# --- tests ---------------------------------------------------------------------------------

pytestmark = pytest.mark.usefixtures("dump_logs_on_failure")


def test_three_instances_started_together_on_an_empty_database_come_up_healthy_and_migrate_once(cluster):
    for instance in cluster.instances:
        assert instance.process.poll() is None, f"instance {instance.name} exited"
        r = http().get(instance.url + "/healthz", timeout=5)
        assert (r.status_code, r.json()) == (200, {"status": "ok"}), instance.name
    r = cluster.nginx.session().get(cluster.nginx.url + "/healthz", timeout=5)
    assert (r.status_code, r.json()) == (200, {"status": "ok"})

    rows = cluster.pg.psql("SELECT name, count(*) FROM _fluent_migrations GROUP BY name ORDER BY name")
    counts = {name: int(n) for name, n in (line.split("|") for line in rows.splitlines())}
    assert len(counts) >= 8, counts
    assert all(n == 1 for n in counts.values()), f"a migration was recorded twice: {counts}"
    # Nothing left for the release-step command of docs/deploy.md to do.
    run = cluster["a"].cli("migrate", "--yes")
    assert run.returncode == 0 and "No new migrations." in run.stdout, (run.stdout, run.stderr)

    prepared_by: dict[str, list[str]] = {}
    for instance in cluster.instances:
        log = instance.log()
        assert "waiting for the migration lock" in log, f"{instance.name} did not take the migration lock"
        assert "Failed prepare" not in log, f"{instance.name}:\n{_tail(instance.log_path)}"
        bad = [line for line in log.splitlines() if re.search(r"\[ (ERROR|CRITICAL) \]", line)]
        assert not bad, f"instance {instance.name} logged errors:\n" + "\n".join(bad)
        for step, name in MIGRATOR_RE.findall(log):
            if step == "Finished":
                prepared_by.setdefault(name, []).append(instance.name)
    # Each migration prepared by exactly one instance; the others found nothing to do.
    assert set(prepared_by) == set(counts), (prepared_by, counts)
    assert all(len(who) == 1 for who in prepared_by.values()), prepared_by
    assert len({who[0] for who in prepared_by.values()}) == 1, f"migrations split across instances: {prepared_by}"


def test_a_session_made_through_one_instance_is_valid_on_the_others_and_logout_through_another_ends_it(cluster):
    a, b, c = cluster["a"], cluster["b"], cluster["c"]
    user = Web().signup(a.url)
    web = Web()
    web.login(a.url, user["email"], user["password"])
    cookie = web.cookie
    assert cookie

    for instance in (a, b, c):
        r = web.get(instance.url, "/admin/team")
        assert r.status_code == 200, f"session from a refused by {instance.name}: {r.status_code}"
        assert user["name"] in r.text and user["team"] in r.text
    assert web.cookie == cookie, "the session id changed between instances"

    # Log out through b, with the CSRF token b shows for this session.
    _, csrf = web.form(b.url, "/admin/team")
    r = web.post(b.url, "/logout", {"_csrf": csrf})
    assert r.status_code == 303 and r.headers["Location"] == "/login"

    replay = Web()
    replay.cookie = cookie  # the old cookie, as a stolen copy would present it
    for instance in (a, c, b):
        r = replay.get(instance.url, "/admin/team")
        assert r.status_code == 303 and r.headers["Location"] == "/login", (
            f"session still valid on {instance.name} after logout through b: {r.status_code}")


def test_a_key_created_through_one_instance_works_at_once_everywhere_and_a_deleted_one_is_refused_on_the_next_request(cluster):
    a, b, c, nginx = cluster["a"], cluster["b"], cluster["c"], cluster.nginx
    web, key, key_id = _fresh_user_with_key(cluster, "CRM sync")

    # The very first request after creation, through another instance and through nginx.
    r = api(b.url, key)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.json()["id"].lower() == key_id and r.json()["name"] == "CRM sync"
    with nginx.session() as s:
        for _ in range(len(cluster.instances)):  # once through each upstream
            r = api(nginx.url, key, EVENTS, session=s)
            assert r.status_code == 200, (r.status_code, r.text)
            assert r.json()["data"] == []
        # Warm every instance with the key (were anything cached, it would be now).
        for instance in (a, b, c):
            assert api(instance.url, key).status_code == 200

        web.delete_key(a.url, key_id)

        for base in (b.url, c.url, nginx.url, a.url):
            r = api(base, key, EVENTS, session=s if base == nginx.url else None)
            assert r.status_code == 401, f"deleted key accepted by {base}: {r.status_code} {r.text[:200]}"
            assert r.headers.get("WWW-Authenticate", "").startswith('Bearer realm="kagibag"'), r.headers
            assert r.headers.get("Content-Type", "").startswith("application/problem+json")


def test_revoking_a_permission_with_the_cli_is_enforced_by_every_instance_on_the_next_request(cluster):
    a, b, c, nginx = cluster["a"], cluster["b"], cluster["c"], cluster.nginx
    web, key, _ = _fresh_user_with_key(cluster)
    slug = web.team_slug(b.url)
    targets = [i.url for i in cluster.instances] + [nginx.url]

    def statuses() -> list[int]:
        with nginx.session() as s:
            return [api(t, key, EVENTS, session=s if t == nginx.url else None).status_code for t in targets]

    assert statuses() == [200] * len(targets)

    run = a.cli("team", "permissions", slug, "--revoke", "events:read")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == f"{slug}: events:write attendees:read attendees:write", run.stdout
    assert statuses() == [403] * len(targets)
    r = api(c.url, key, EVENTS)
    assert r.headers.get("Content-Type", "").startswith("application/problem+json")
    assert "events:read" not in api(b.url, key).json()["permissions"]

    run = a.cli("team", "permissions", slug, "--grant", "events:read")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == f"{slug}: events:read events:write attendees:read attendees:write"
    assert statuses() == [200] * len(targets)


def test_last_used_times_written_by_several_instances_merge_to_the_newest_use(cluster):
    web, key, key_id = _fresh_user_with_key(cluster)
    used_at: dict[str, float] = {}
    for instance in cluster.instances:  # a, then b, then c: c's use is the newest
        before = time.time()
        assert api(instance.url, key).status_code == 200
        used_at[instance.name] = before
        time.sleep(0.4)
    newest = used_at["c"]

    # Every instance flushes once a second, at its own moment: the newest must win
    # whatever order the three writes land in.
    time.sleep(3)
    stored = cluster.pg.last_used(key_id)
    assert stored is not None, "no instance wrote the last-used time"
    assert abs(stored - newest) <= 1.0, f"stored {stored}, newest use {newest} (uses: {used_at})"
    assert stored > used_at["b"] + 0.2, f"an older use overwrote the newest: stored {stored}, uses {used_at}"

    with cluster.nginx.session() as s:
        web.s = s
        r = web.get(cluster.nginx.url, "/admin/team/api-keys")
    assert r.status_code == 200
    row = re.search(r'<tr data-key-id="' + key_id + r'">(.*?)</tr>', r.text, re.S).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    last_used_cell = cells[3]
    assert "Never" not in last_used_cell, row
    shown = re.search(r'<time datetime="([^"]+)"', last_used_cell).group(1)
    shown_at = dt.datetime.fromisoformat(shown.replace("Z", "+00:00")).timestamp()
    assert abs(shown_at - stored) <= 1.0, (shown, stored)


def test_sigterm_after_a_burst_exits_0_flushes_last_used_times_and_keeps_every_created_event(cluster):
    a, c, nginx, pg = cluster["a"], cluster["c"], cluster.nginx, cluster.pg
    web, key, key_id = _fresh_user_with_key(cluster, "Burst")
    older_key, older_key_id = web.create_key(a.url, "Merge")

    try:
        # Restart c with a flush interval it will never reach: whatever it writes, it writes at shutdown.
        assert c.stop() == 0, f"c exited non-zero on SIGTERM:\n{_tail(c.log_path)}"
        # While c is down, nginx sends every request to the others, POSTs too: the connection
        # was refused, so nothing was sent. Round-robin puts one of three POSTs on c first.
        error_log = nginx.prefix / "logs" / "error.log"
        error_offset = error_log.stat().st_size
        with nginx.session() as s:
            for n in range(3):
                r = api(nginx.url, key, EVENTS, "POST", session=s, json=event_body(-1 - n))
                assert r.status_code == 201, (r.status_code, r.text[:200])
            for n in range(3):
                assert api(nginx.url, key, EVENTS, session=s).status_code == 200
        refused = error_log.read_text(errors="replace")[error_offset:]
        assert re.search(r'connect\(\) failed .*request: "POST ', refused), f"no POST met the stopped c:\n{refused}"
        c.start(KAGIBAG_LAST_USED_FLUSH_SECONDS="600")
        c.wait_healthy()
        log_offset = c.log_path.stat().st_size

        # The older use through c, then a newer one through a, written by a's flush.
        assert api(c.url, older_key).status_code == 200
        time.sleep(0.3)
        newer_use = time.time()
        assert api(a.url, older_key).status_code == 200
        _wait_for(lambda: (pg.last_used(older_key_id) or 0) >= newer_use - 0.5, 5, "a's flush of the newer use")
        newer_stored = pg.last_used(older_key_id)

        # The burst: 6 clients creating events and listing them through c, on kept-alive connections.
        created: list[str] = []
        lock = threading.Lock()
        first_sent = time.time()
        last_done = [0.0]

        def client(worker: int) -> None:
            with http() as s:
                for n in range(6):
                    r = api(c.url, key, EVENTS, "POST", session=s, json=event_body(worker * 100 + n))
                    assert r.status_code == 201, (r.status_code, r.text[:200])
                    with lock:
                        created.append(r.json()["id"])
                    assert api(c.url, key, EVENTS + "?limit=5", session=s).status_code == 200
                    with lock:
                        last_done[0] = max(last_done[0], time.time())

        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            for f in [pool.submit(client, w) for w in range(6)]:
                f.result()
        c.process.send_signal(signal.SIGTERM)
        last_response = last_done[0]
        try:
            code = c.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"c did not exit within 30s of SIGTERM:\n{_tail(c.log_path)}")
        shutdown_log = c.log()[log_offset:]
        assert code == 0, f"c exited {code} on SIGTERM:\n{shutdown_log[-3000:]}"
        assert "could not write last-used times" not in shutdown_log
        assert not re.search(r"\[ (ERROR|CRITICAL) \]", shutdown_log), shutdown_log[-3000:]
        assert len(created) == 36

        stored = pg.last_used(key_id)
        older_key_stored = pg.last_used(older_key_id)

        # Restarted, c serves again; every event it answered 201 for is there.
        c.start()
        c.wait_healthy()
        assert "Starting prepare" not in c.log()[log_offset:], "restart re-ran migrations"
        listed: set[str] = set()
        cursor = None
        with http() as s:
            while True:
                path = EVENTS + "?limit=100" + (f"&cursor={cursor}" if cursor else "")
                r = api(c.url, key, path, session=s)
                assert r.status_code == 200, (r.status_code, r.text[:300])
                listed |= {e["id"] for e in r.json()["data"]}
                cursor = r.json().get("next_cursor")
                if not cursor:
                    break
        missing = set(created) - listed
        assert not missing, f"{len(missing)} events answered 201 before SIGTERM are gone"
        assert int(pg.psql("SELECT count(*) FROM events WHERE name LIKE 'Burst %'")) >= len(created)

        # c's shutdown flush (its only one: the interval was 600 s) wrote the burst's last use …
        assert stored is not None and stored >= first_sent - 0.5, (
            f"c did not write its last-used time at shutdown: stored {stored}, burst "
            f"{first_sent:.3f}…{last_response:.3f} (an older value is another instance's)")
        assert stored <= last_response + 0.5 and last_response - stored <= 1.0, (first_sent, stored, last_response)
        # … and its older use of the other key did not overwrite a's newer one.
        assert older_key_stored == newer_stored
    finally:
        _ensure_running(c)


def test_sigterm_under_load_finishes_in_flight_requests_refuses_new_ones_and_exits_0(cluster):
    """A rolling restart without taking the instance out of nginx first: requests keep coming."""
    c, pg = cluster["c"], cluster.pg
    _, key, _ = _fresh_user_with_key(cluster, "Load")
    prefix = f"Load-{uuid.uuid4().hex[:8]}"
    log_offset = c.log_path.stat().st_size
    outcomes: collections.Counter = collections.Counter()
    created: list[str] = []
    lock = threading.Lock()

    def client(worker: int) -> None:
        with http() as s:
            for n in range(300):
                try:
                    r = api(c.url, key, EVENTS, "POST", session=s, json=event_body(worker * 1000 + n, prefix))
                except requests.RequestException as e:
                    with lock:
                        outcomes[type(e).__name__] += 1
                    return  # the instance is going away: this client stops, as a real one would fail over
                with lock:
                    outcomes[r.status_code] += 1
                    if r.status_code == 201:
                        created.append(r.json()["id"])

    try:
        with concurrent.futures.ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(client, w) for w in range(6)]
            _wait_for(lambda: outcomes[201] >= 30, 30, "30 events created through c")
            c.process.send_signal(signal.SIGTERM)
            for f in futures:
                f.result(timeout=60)
        try:
            code = c.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"c did not exit within 30s of SIGTERM:\n{_tail(c.log_path)}")
        log = c.log()[log_offset:]
        crash = [line for line in log.splitlines() if "Fatal error" in line or "crashed" in line]
        assert code == 0, f"c exited {code} on SIGTERM under load (outcomes {dict(outcomes)}): {crash}"
        assert not [s for s in outcomes if isinstance(s, int) and s >= 500], dict(outcomes)
        stored = set(pg.psql(f"SELECT id FROM events WHERE name LIKE '{prefix} %'").split())
        assert {i.lower() for i in created} <= stored, "an event answered 201 is missing"
        assert len(stored) == len(created), (
            f"{len(stored) - len(created)} events were created but their requests got no response "
            f"(outcomes {dict(outcomes)}): in-flight requests were cut off instead of drained")
    finally:
        _ensure_running(c)


def test_connections_stay_within_instances_times_event_loops_times_pool_size(cluster):
    loops = len(os.sched_getaffinity(0))
    ceiling = len(cluster.instances) * loops * POOL_SIZE
    used = int(cluster.pg.psql("SELECT count(*) FROM pg_stat_activity WHERE usename = 'kagibag'"))
    assert 0 < used <= ceiling, f"{used} connections, pools allow {ceiling}"
    assert ceiling + len(cluster.instances) < PG_MAX_CONNECTIONS - PG_RESERVED


def test_nginx_redirects_http_to_https_adds_hsts_and_leaves_body_limits_to_kagibag(cluster):
    nginx = cluster.nginx
    r = http().get(f"http://127.0.0.1:{nginx.http_port}/admin/team?x=1", allow_redirects=False, timeout=5)
    assert r.status_code == 301 and r.headers["Location"] == "https://127.0.0.1/admin/team?x=1"

    with nginx.session() as s:
        r = s.get(nginx.url + "/login", timeout=5)
    assert r.status_code == 200
    assert r.headers.get("Strict-Transport-Security") == "max-age=31536000"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers.get("X-Request-Id", "")), r.headers
    assert r.headers.get("Content-Security-Policy"), "Kagibag's own headers must pass through"

    _, key, _ = _fresh_user_with_key(cluster)
    big = {**event_body(0), "description": "x" * 70_000}  # over Kagibag's 64 kB, under nginx's 128k
    with nginx.session() as s:
        r = api(nginx.url, key, EVENTS, "POST", session=s, json=big)
        assert r.status_code == 413, (r.status_code, r.text[:300])
        assert r.headers.get("Content-Type", "").startswith("application/problem+json"), "413 not from Kagibag"
        r = api(nginx.url, key, EVENTS, "POST", session=s, json={**big, "description": "x" * 200_000})
        assert r.status_code == 413  # nginx's own limit


def test_behind_nginx_the_client_address_is_the_clients_own_and_forwarding_headers_cannot_forge_it(cluster):
    """Failed logins are counted per client address (KAGIBAG_LOGIN_ATTEMPTS_PER_ADDRESS)."""
    nginx = cluster.nginx
    client = "127.0.0.2"  # Linux routes all of 127/8 to lo: a client that is not nginx (127.0.0.1)
    forged = {"X-Forwarded-For": "203.0.113.7", "Forwarded": "for=198.51.100.9", "X-Real-IP": "192.0.2.1"}

    def failed_login(base: str, s: requests.Session) -> str:
        web = Web()
        web.s = s
        _, csrf = web.form(base, "/login")
        r = web.post(base, "/login", {"email": "nobody@example.com", "password": "wrong password!", "_csrf": csrf},
                     headers=forged)
        assert r.status_code == 401, (r.status_code, r.text[:200])
        return r.headers.get("X-Request-Id", "")

    def logged_addresses(request_id: str | None = None) -> list[str]:
        found = []
        for instance in cluster.instances:
            for line in instance.log().splitlines():
                if "login failed" in line and (request_id is None or request_id in line):
                    found += re.findall(r"address: ([^,\]]+)", line)
        return found

    with nginx.session() as s:
        s.mount("https://", FromAddress(client))
        request_id = failed_login(nginx.url, s)
    assert re.fullmatch(r"[0-9a-f]{32}", request_id), f"nginx sent no X-Request-Id: {request_id!r}"
    assert logged_addresses(request_id) == [client], logged_addresses()

    # Straight to an instance (not a trusted proxy), forwarding headers are ignored too.
    with http() as s:
        s.mount("http://", FromAddress(client))
        failed_login(cluster["b"].url, s)
    assert not {"203.0.113.7", "198.51.100.9", "192.0.2.1"} & set(logged_addresses()), logged_addresses()

    # Metrics stay on the private side; each instance serves its own.
    with nginx.session() as s:
        assert s.get(nginx.url + "/metrics", timeout=5).status_code == 404
    assert http().get(cluster["a"].url + "/metrics", timeout=5).status_code == 200


def test_a_browser_session_through_nginx_stays_signed_in_while_requests_land_on_every_instance(cluster, tmp_path, browser):
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM}", pytrace=False)
    nginx = cluster.nginx
    # An instance restarted by an earlier test may still be parked by nginx (max_fails=1,
    # fail_timeout=10s after a refused connection): wait until round-robin reaches all of them.
    ports = {str(i.port) for i in cluster.instances}
    deadline = time.monotonic() + 20
    probe = nginx.session()
    while True:
        mark = len(nginx.access_lines())
        for _ in range(len(ports)):
            probe.get(nginx.url + "/healthz", timeout=10)
        recent = {m["upstream"].rsplit(":", 1)[-1] for m in nginx.access_lines()[mark:]}
        if recent >= ports or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    seen_before = len(nginx.access_lines())
    tag = uuid.uuid4().hex[:8]
    # The session's Chromium (e2e/conftest.py): one sync Playwright per process.
    context = browser.new_context(base_url=nginx.url, ignore_https_errors=True)
    try:
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            page.goto("/signup")
            page.get_by_label("Name", exact=True).fill(f"Browser {tag}")
            page.get_by_label("Email", exact=True).fill(f"browser-{tag}@example.com")
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_label("Team name", exact=True).fill(f"Browser {tag}")
            page.get_by_role("button", name="Sign up", exact=True).click()
            expect(page).to_have_url(re.compile(r"/admin/team/?$"))

            nav = page.get_by_role("navigation", name="Main")
            nav.get_by_role("link", name="Admin", exact=True).click()
            expect(page).to_have_url(re.compile(r"/admin/?$"))
            nav.get_by_role("link", name="Team", exact=True).click()
            expect(page).to_have_url(re.compile(r"/admin/team/?$"))
            nav.get_by_role("link", name="API Keys", exact=True).click()
            expect(page).to_have_url(re.compile(r"/admin/team/api-keys/?$"))

            page.get_by_role("link", name="Create API Key", exact=True).click()
            page.get_by_label("Name", exact=True).fill("Browser key")
            page.get_by_role("button", name="Create", exact=True).click()
            dialog = page.locator("dialog#new-key-dialog")
            expect(dialog).to_be_visible()
            key = dialog.locator("#new-api-key").input_value()
            assert re.fullmatch(r"kgb_[0-9A-Za-z]{46}", key)
            dialog.get_by_role("button", name="Done", exact=True).click()
            expect(dialog).to_be_hidden()

            for _ in range(7):
                page.reload()
                expect(page).to_have_url(re.compile(r"/admin/team/api-keys/?\??$"))  # "Done" is a GET form
                expect(page.get_by_role("heading", level=1)).to_have_text("API Keys")
                expect(page.locator("table#api-keys tbody tr").filter(has_text="Browser key")).to_have_count(1)
                expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()

            cookie = next(ck for ck in context.cookies() if ck["name"] == "kagibag_session")
            assert cookie["secure"] and cookie["httpOnly"], cookie
        except Exception:
            page.screenshot(path=str(tmp_path / "browser.png"), full_page=True)
            print(f"screenshot: {tmp_path / 'browser.png'} at {page.url}")
            raise
    finally:
        context.close()

    lines = nginx.access_lines()[seen_before:]
    pages = [m for m in lines if m["uri"].startswith("/admin")]
    assert pages and all(m["status"] in ("200", "201", "303") for m in pages), [m.group(0) for m in pages]
    by_port = {str(i.port): i for i in cluster.instances}
    landed: dict[str, int] = {}
    logs = {i.name: i.log() for i in cluster.instances}
    for m in pages:
        port = m["upstream"].rsplit(":", 1)[-1]
        instance = by_port[port]
        landed[instance.name] = landed.get(instance.name, 0) + 1
        # nginx's request id is the instance's request id: the request is in that instance's log.
        assert m["rid"] in logs[instance.name], f"{m['rid']} ({m['uri']}) not in {instance.name}'s log"
        assert all(m["rid"] not in logs[o] for o in logs if o != instance.name)
    reloads = [m for m in pages if m["uri"].rstrip("?") == "/admin/team/api-keys" and m["method"] == "GET"]
    assert len(reloads) >= 8
    assert len(landed) == len(cluster.instances), f"signed-in pages landed on {landed}"
    reload_ports = {m["upstream"].rsplit(":", 1)[-1] for m in reloads}
    assert len(reload_ports) == len(cluster.instances), f"reloads landed on {reload_ports} only"


def test_docs_deploy_md_shows_the_very_configs_this_test_runs():
    doc = (REPO / "docs" / "deploy.md").read_text()
    blocks = re.findall(r"```nginx\n(.*?)```", doc, re.S)
    assert NGINX_TEMPLATE.read_text() in blocks, "docs/deploy.md must show deploy/nginx.conf verbatim"

    env_block = re.search(r"# /etc/kagibag/kagibag.env \(several instances\)\n(.*?)```", doc, re.S).group(1)
    documented = dict(line.split("=", 1) for line in env_block.splitlines() if "=" in line)
    assert set(documented) == set(INSTANCE_SETTINGS) | {"DATABASE_URL"}, documented
    for name, value in INSTANCE_SETTINGS.items():
        if name != "KAGIBAG_LAST_USED_FLUSH_SECONDS":
            assert documented[name] == value, (name, documented[name], value)
    assert documented["DATABASE_URL"].startswith("postgres://kagibag:")
    assert documented["DATABASE_URL"].endswith("/kagibag?sslmode=disable")
    assert "Environment=KAGIBAG_PORT=%i" in doc
    assert f"ExecStart=/opt/kagibag/kagibag {' '.join(SERVE)}" in doc
    assert f"CONNECTION LIMIT" in doc and f"max_connections={PG_MAX_CONNECTIONS}" in doc
