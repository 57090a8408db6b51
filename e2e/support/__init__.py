"""The harness of the end-to-end suite, written once and used by every test module.

One module a thing the tests start or talk to:

    tools       where the repository, the kagibag binary, PostgreSQL, nginx and Chromium are
    processes   free ports, log tails, temporary directories, waiting for a condition
    kagibag     a `kagibag serve` process (start, restart, kill -9, SIGTERM, its CLI, its log)
    postgres    a throwaway PostgreSQL 15 cluster and its databases
    nginx       nginx rendered from deploy/nginx.conf, with a self-signed certificate
    cluster     docs/deploy.md's setup: three instances on one PostgreSQL behind nginx
    http        requests sessions that never use a proxy, and a raw-socket client
    api         the organizer API: paths, bearer headers, paging, the 401 challenge
    web         the web UI over plain HTTP: users, sign-up, login, CSRF, creating keys
    browser     the web UI in Chromium (Playwright): pages, and the UI contract's actions
    tour        visiting pages at one window size: width, axe-core, screenshots, links
    axe         axe-core (shipped by a PyPI package) on the page as it is
    keys        the API key format and looking for leaked keys
    sqlite      reading a server's SQLite file
    load        the clients of the load and crash tests
    schemathesis  the Schemathesis CLI, its configuration and hooks

The fixtures are declared in e2e/conftest.py, each a few lines over these modules. A test
module holds its tests and what they judge by (case tables, the rule an answer must meet);
anything that starts, stops or talks to a process belongs here.
"""
