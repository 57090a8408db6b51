"""Fixtures of the browser end-to-end suite.

The suite starts the real `kagibag` binary once per session on a free loopback
port, with a fresh working directory (so its SQLite file, kagibag.sqlite, lands
there) and drives it with a headless Debian Chromium through Playwright.
"""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

import pytest
import requests
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

REPO = pathlib.Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KAGIBAG_CHROMIUM", "/usr/bin/chromium")
STARTUP_TIMEOUT_S = 60
UI_TIMEOUT_MS = 15_000

expect.set_options(timeout=UI_TIMEOUT_MS)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: pathlib.Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Server:
    base_url: str
    tmp_dir: pathlib.Path
    log_path: pathlib.Path
    binary: pathlib.Path
    env: dict[str, str]
    process: subprocess.Popen | None = field(default=None, repr=False)

    def run_cli(self, *args: str, check: bool = True, timeout: float = 60) -> str:
        """Runs `kagibag ARGS...` with the server's cwd and env; returns stdout."""
        result = subprocess.run(
            [str(self.binary), *args],
            cwd=self.tmp_dir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        with open(self.tmp_dir / "cli.log", "a") as log:
            log.write(f"$ kagibag {' '.join(args)}  (exit {result.returncode})\n")
            log.write(result.stdout)
            log.write(result.stderr)
        if check and result.returncode != 0:
            raise AssertionError(
                f"kagibag {' '.join(args)} exited {result.returncode}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
            )
        return result.stdout

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory):
    binary = pathlib.Path(os.environ.get("KAGIBAG_BIN") or REPO / ".build" / "debug" / "kagibag")
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.fail(
            f"kagibag binary not found at {binary}: run `swift build` first "
            "(or set KAGIBAG_BIN)",
            pytrace=False,
        )
    tmp_dir = tmp_path_factory.mktemp("server")
    log_path = tmp_dir / "server.log"
    port = _free_port()
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)  # the suite runs on SQLite in tmp_dir
    env.update(LOG_LEVEL="debug", KAGIBAG_LAST_USED_FLUSH_SECONDS="1")
    srv = Server(f"http://127.0.0.1:{port}", tmp_dir, log_path, binary, env)

    log = open(log_path, "ab")
    srv.process = subprocess.Popen(
        [str(binary), "serve", "--hostname", "127.0.0.1", "--port", str(port)],
        cwd=tmp_dir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        last_error = "no answer"
        while True:
            if srv.process.poll() is not None:
                pytest.fail(
                    f"kagibag serve exited with {srv.process.returncode} before "
                    f"answering /healthz; log:\n{srv.log_tail()}",
                    pytrace=False,
                )
            try:
                r = api_session().get(srv.base_url + "/healthz", timeout=2)
                if r.status_code == 200 and r.json() == {"status": "ok"}:
                    break
                last_error = f"{r.status_code} {r.text[:200]!r}"
            except (requests.RequestException, ValueError) as e:
                last_error = repr(e)
            if time.monotonic() > deadline:
                pytest.fail(
                    f"GET /healthz did not answer 200 {{\"status\":\"ok\"}} within "
                    f"{STARTUP_TIMEOUT_S}s (last: {last_error}); log:\n{srv.log_tail()}",
                    pytrace=False,
                )
            time.sleep(0.25)
        yield srv
    finally:
        if srv.process.poll() is None:
            srv.process.send_signal(signal.SIGINT)
            try:
                srv.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                srv.process.kill()
                srv.process.wait(timeout=10)
        log.close()


def api_session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # never route loopback traffic through a proxy
    return s


@pytest.fixture(scope="session")
def api(server: Server):
    """A requests.Session for the server's API (no proxies)."""
    s = api_session()
    yield s
    s.close()


@pytest.fixture(scope="session")
def created_keys() -> list[str]:
    """Every API key the suite created; test_zz_secrets checks none leaked."""
    return []


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"Chromium not found at {CHROMIUM} (apt-get install chromium)", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], headless=True)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory) -> pathlib.Path:
    # Kept apart from the server's tmp dir: a screenshot may show a new key.
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture
def new_page(browser: Browser, server: Server, request, artifacts_dir: pathlib.Path):
    """Factory: new_page(javascript=True) -> a Page in a fresh browser context."""
    contexts: list[BrowserContext] = []

    def make(javascript: bool = True) -> Page:
        ctx = browser.new_context(base_url=server.base_url, java_script_enabled=javascript)
        ctx.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.base_url)
        ctx.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(ctx)
        return ctx.new_page()

    yield make

    failed = getattr(request.node, "rep_call", None)
    failed = failed is not None and failed.failed
    for i, ctx in enumerate(contexts):
        if failed:
            for j, pg in enumerate(ctx.pages):
                stem = artifacts_dir / f"{request.node.name}-{i}-{j}"
                try:
                    pg.screenshot(path=f"{stem}.png", full_page=True)
                    (stem.with_suffix(".html")).write_text(pg.content())
                    print(f"artifact: {stem}.png ({pg.url})")
                except Exception as e:  # noqa: BLE001 - best effort
                    print(f"could not save artifact {stem}: {e}")
        ctx.close()
    if failed:
        print(f"server log (tail):\n{server.log_tail(40)}")


@pytest.fixture
def page(new_page) -> Page:
    return new_page()


def pytest_sessionfinish(session, exitstatus):
    # A skipped end-to-end test is a test that proved nothing: fail the run.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        print(f"\n{skipped} end-to-end test(s) skipped: counted as a failure")
        session.exitstatus = 1
