"""axe-core (the copy that the PyPI package axe-playwright-python ships, so nothing comes from the
network) run on the page as it is now, open dialogs included."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

_AXE = Axe()
# The WCAG 2.x A and AA rules and axe's best practices, as axe runs them by default.
OPTIONS = {"resultTypes": ["violations"]}


def violations(page: Page) -> list[str]:
    """One line per rule axe finds broken: its id, impact, help and (up to five of) the elements."""
    results = _AXE.run(page, options=OPTIONS).response
    lines = []
    for rule in results["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in rule["nodes"][:5]]
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} — {targets}")
    return lines
