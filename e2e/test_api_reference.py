"""/docs/api: the API reference the product serves, rendered on the server from openapi.json."""

from __future__ import annotations

from playwright.sync_api import expect

from support.api import OPENAPI

METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}


def test_the_reference_lists_every_operation_of_openapi_json_and_loads_nothing_from_elsewhere(page, server, api):
    spec = api.get(server.url + OPENAPI, timeout=30).json()
    documented = {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item if method in METHODS}
    assert len(documented) >= 16

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    response = page.goto("/docs/api")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]

    shown = page.locator("article.operation").evaluate_all("articles => articles.map(a => a.dataset.operation)")
    assert sorted(shown) == sorted(documented), set(shown) ^ documented
    for operation in spec["paths"].values():
        for method, details in operation.items():
            if method not in METHODS:
                continue
            article = page.locator(f"article#{details['operationId']}")
            expect(article.get_by_role("heading", level=3)).to_contain_text(method.upper())
            expect(page.get_by_role("navigation", name="Contents").locator(f"a[href='#{details['operationId']}']")).to_have_count(1)

    expect(page.get_by_role("heading", name="Authentication", exact=True)).to_be_visible()
    expect(page.locator("#bearer-header")).to_have_text("Authorization: Bearer YOUR_API_KEY")
    expect(page.locator("#reference-example")).to_contain_text(f"{server.url}/api/v1/organizer/events")
    expect(page.locator("#problem-example")).to_contain_text('"status" : 422')
    assert requested and all(url.startswith(server.url) for url in requested), requested
