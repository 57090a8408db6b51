"""Fixtures and hooks of the end-to-end suite; the harness behind them is in e2e/support.

For the whole session:
  server        the real `kagibag` binary (KAGIBAG_BIN, else .build/debug/kagibag) on a free
                loopback port, with a fresh working directory (so its SQLite file, kagibag.sqlite,
                lands there), trusting `partner_keys` for GitHub's secret-scanning reports
  partner_keys  a stand-in for GitHub's secret-scanning signing key (openssl P-256)
  api           a requests session for it (never through a proxy)
  created_keys  every API key the suite made on `server`: test_secrets checks none leaked
  browser       the system's headless Chromium, driven through Playwright
  page, new_page  fresh pages on `server` (screenshot and HTML kept when the test fails)
  screenshots_dir where test_pages_fit keeps a screenshot of every page state (printed at the end)
For one test module (each module gets its own, stopped when the module is done):
  postgres      a throwaway PostgreSQL 15 cluster
  module_server a `kagibag serve` of its own on SQLite, for tests that try to break it
  backend       the same on SQLite, then (a second round of the module's tests) on a database
                in `postgres`: (name, server, database or None)
  crash         `backend`'s server, killed -9 in the middle of writes and restarted
  cluster       three instances on one PostgreSQL behind nginx, as docs/deploy.md sets them up
                (with a partner key of its own, `cluster.partner`)

Order: a test marked `after_suite` runs after every other test (pytest_collection_modifyitems
below), whatever its file is called. A skipped test fails the run: it proved nothing.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from support.browser import UI_TIMEOUT_MS, Pages, chromium
from support.cluster import running_cluster
from support.http import http
from support.kagibag import HARDENING_SETTINGS, running, server_env
from support.load import killed_during_writes_and_restarted
from support.postgres import running_postgres
from support.processes import work_dir
from support.secret_scanning import PartnerKeys, make_partner_keys
from support.web import WebClient

expect.set_options(timeout=UI_TIMEOUT_MS)


# --- order and outcome of the run ------------------------------------------------------------------


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Moves the tests marked `after_suite` to the end, keeping their order. trylast: after pytest
    has grouped the tests by their fixtures and after -k/-m have deselected, so nothing moves them
    back."""
    items.sort(key=lambda item: item.get_closest_marker("after_suite") is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


SCREENSHOTS = pytest.StashKey[object]()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    shots = config.stash.get(SCREENSHOTS, None)
    if shots is not None:
        terminalreporter.write_line(f"screenshots of the pages the suite visited: {shots}")


def pytest_sessionfinish(session, exitstatus):
    # A skipped end-to-end test is a test that proved nothing: fail the run.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and exitstatus == 0:
        print(f"\n{skipped} end-to-end test(s) skipped: counted as a failure")
        session.exitstatus = 1


# --- the session's server and browser --------------------------------------------------------------


@pytest.fixture(scope="session")
def partner_keys(tmp_path_factory: pytest.TempPathFactory) -> PartnerKeys:
    """A stand-in for GitHub's secret-scanning signing key, trusted by `server` and the cluster."""
    return make_partner_keys(tmp_path_factory.mktemp("github"))


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, partner_keys):
    # keep_settings: KAGIBAG_ settings of the environment apply to this server. The suite signs up
    # far more people from 127.0.0.1 than the default per-address limit (20 an hour) allows.
    env = server_env(keep_settings=True, KAGIBAG_SECRET_SCANNING_KEYS=str(partner_keys.document))
    env.setdefault("KAGIBAG_SIGNUPS_PER_ADDRESS", "1000")
    # test_pages_fit fills a team to its limit: 60 keys, two pages of the list.
    env.setdefault("KAGIBAG_MAX_KEYS_PER_TEAM", "60")
    # Schemathesis sends the anonymous leak report (30 a minute per address by default) far more
    # often than that; a test after it would find the limit spent. Swift tests the default
    # (CredentialRevocationTests).
    env.setdefault("KAGIBAG_CREDENTIAL_REVOCATIONS_PER_MINUTE", "1000")
    with running(tmp_path_factory.mktemp("server"), env) as srv:
        yield srv


@pytest.fixture(scope="session")
def api(server):
    s = http()
    yield s
    s.close()


@pytest.fixture(scope="session")
def created_keys() -> list[str]:
    return []


@pytest.fixture(scope="session")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="session")
def artifacts_dir(tmp_path_factory: pytest.TempPathFactory):
    # Kept apart from the server's directory: a screenshot may show a new key.
    return tmp_path_factory.mktemp("artifacts")


@pytest.fixture(scope="session")
def screenshots_dir(artifacts_dir, request):
    """Where test_pages_fit keeps a screenshot of every page state it visits (printed at the end)."""
    shots = artifacts_dir / "screenshots"
    shots.mkdir(exist_ok=True)
    request.config.stash[SCREENSHOTS] = shots
    return shots


@pytest.fixture
def new_page(browser, server, request, artifacts_dir):
    """Factory: new_page(javascript=True) -> a Page in a fresh browser context."""
    pages = Pages(browser, server.url, artifacts_dir)
    yield pages.new
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    if failed:
        pages.save(request.node.name)
    pages.close()
    if failed:
        print(f"server log (tail):\n{server.log_tail(40)}")


@pytest.fixture
def page(new_page):
    return new_page()


# --- servers of a module's own ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres():
    with work_dir("kagibag-pg-") as d, running_postgres(d / "pg") as pg:
        yield pg


@pytest.fixture(scope="module")
def module_server():
    with work_dir("kagibag-server-") as d, running(d / "server", server_env(**HARDENING_SETTINGS)) as srv:
        yield srv


@pytest.fixture(scope="module")
def hostile_keys(module_server):
    """(a valid key, a deleted key) of a new team on module_server, as bytes."""
    web, base = WebClient(), module_server.url
    web.signup(base)
    key, _ = web.create_key(base, "Hostile headers")
    revoked, revoked_id = web.create_key(base, "Soon deleted")
    web.delete_key(base, revoked_id)
    return key.encode(), revoked.encode()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request):
    with work_dir(f"kagibag-{request.param}-") as d:
        db = request.getfixturevalue("postgres").new_database("kagibag") if request.param == "postgres" else None
        env = server_env(**HARDENING_SETTINGS, **({"DATABASE_URL": db.url} if db else {}))
        with running(d / "server", env) as srv:
            yield request.param, srv, db


@pytest.fixture(scope="module")
def crash(backend):
    return killed_during_writes_and_restarted(*backend)


@pytest.fixture(scope="module")
def cluster():
    with running_cluster() as c:
        yield c


@pytest.fixture
def dump_logs_on_failure(cluster):
    yield
    # Captured output: pytest shows it only when the test failed.
    cluster.print_logs()
