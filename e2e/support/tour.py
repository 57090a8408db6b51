"""Visiting pages as a person checking a release would: at one window size, every page is measured
(it must not scroll sideways), checked by axe-core, photographed, and its links collected; at the
end every collected link is followed with the session that saw it.

Problems are gathered, not raised one by one, so one run names every page that is wrong."""

from __future__ import annotations

import pathlib
import re
import time
import urllib.parse
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Locator, Page

from support import axe

ID_RE = 'id="{}"'

# Every page is seen at a phone's width and at a laptop's, and where script matters, with and
# without it: a browser test takes these two marks (tests named `…[phone-js]`, `…[laptop-no-js]`).
WINDOWS = [(390, 844), (1280, 800)]
in_both_windows = pytest.mark.parametrize("width,height", WINDOWS, ids=["phone", "laptop"])
with_and_without_script = pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])


@dataclass
class Tour:
    width: int
    height: int
    shots: pathlib.Path
    base_url: str
    problems: list[str] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)
    followed: int = 0  # URLs fetched by follow_links
    # A page with script on, where axe checks what a page without script shows (axe needs script).
    checker: Page | None = None
    # Links seen, by the page (and so the browser context, its session) that showed them.
    _links: dict[int, tuple[Page, set[str]]] = field(default_factory=dict)

    @property
    def viewport(self) -> dict[str, int]:
        return {"width": self.width, "height": self.height}

    def look(self, page: Page, name: str, script: bool = True) -> None:
        """Measures, checks and photographs the page as it is now, and collects its links.
        `script=False` for a page whose context runs no script: axe checks a copy in `checker`."""
        started, known = time.monotonic(), len(self.problems)
        page.wait_for_load_state("load")
        where = f"{name} at {self.width}px"
        self.visited.append(name)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if scroll > inner:
            wide = page.evaluate(WIDEST_JS)
            self.problems.append(f"{where}: the page is {scroll}px wide in a {inner}px window (widest: {wide})")
        for violation in axe.violations(page if script else self._copy_for_axe(page)):
            self.problems.append(f"{where}: axe {violation}")
        page.screenshot(path=str(self.shots / f"{name}-{self.width}.png"), full_page=True)
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        _, seen = self._links.setdefault(id(page.context), (page, set()))
        here = page.url.split("#")[0]
        for href in hrefs:
            url, _, fragment = href.partition("#")
            if url == here and fragment:
                # Within this document (which may be the answer to a POST): checked here and now.
                if not page.evaluate("id => !!document.getElementById(id)", urllib.parse.unquote(fragment)):
                    self.problems.append(f"{where}: the link {href} points to no element")
            elif href.startswith(self.base_url):
                seen.add(href)
        print(f"  {where}: {time.monotonic() - started:.1f}s", *self.problems[known:], sep="\n    ")

    def _copy_for_axe(self, page: Page) -> Page:
        """The page's HTML as it is, without its script, at its address in `checker`."""
        assert self.checker is not None, "a page without script needs Tour.checker"
        html = page.content().replace('<script src="/app.js" defer></script>', "")
        url = page.url
        self.checker.route(url, lambda route: route.fulfill(status=200, content_type="text/html", body=html))
        self.checker.goto(url)
        self.checker.unroute(url)
        return self.checker

    def inside_window(self, page: Page, locator: Locator, what: str) -> None:
        """`locator` is wholly inside the window, as shown now."""
        box = locator.bounding_box()
        if box is None:
            self.problems.append(f"{what} at {self.width}px is not shown")
            return
        inner_w, inner_h = page.evaluate("[innerWidth, innerHeight]")
        inside = box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= inner_w and box["y"] + box["height"] <= inner_h
        if not inside:
            self.problems.append(f"{what} at {self.width}px lies outside the {inner_w}×{inner_h} window: {box}")

    def follow_links(self, of: Page | None = None) -> int:
        """GETs every link collected (in `of`'s browser context only, if given: before its session
        changes teams or permissions) with the session of the page that showed it, then forgets
        them; 4xx/5xx, or a fragment naming no element of the target, is a problem. Returns how
        many URLs were fetched."""
        followed = 0
        contexts = [id(of.context)] if of is not None else list(self._links)
        for context in contexts:
            page, hrefs = self._links.pop(context, (None, set()))
            bodies: dict[str, tuple[int, str]] = {}
            for href in sorted(hrefs):
                url, _, fragment = href.partition("#")
                if url not in bodies:
                    response = page.context.request.get(url)
                    bodies[url] = (response.status, response.text() if response.status < 400 else "")
                    followed += 1
                status, body = bodies[url]
                if status >= 400:
                    self.problems.append(f"link {href} (seen at {self.width}px) answers {status}")
                elif fragment and ID_RE.format(fragment) not in body:
                    self.problems.append(f"link {href} (seen at {self.width}px) points to no element")
        self.followed += followed
        return followed


# The element whose right edge is furthest out, to say what makes a page too wide.
WIDEST_JS = """() => {
  let widest = null, right = 0;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.right > right + 0.5) { right = r.right; widest = el; }
  }
  if (!widest) return '';
  const id = widest.id ? '#' + widest.id : '';
  const cls = widest.className && typeof widest.className === 'string' ? '.' + widest.className.trim().replace(/\\s+/g, '.') : '';
  return `${widest.tagName.toLowerCase()}${id}${cls} ends at ${Math.round(right)}px`;
}"""


def key_form_fields(html: str) -> tuple[str, str]:
    """The CSRF token and creation nonce of a page with the new-key form."""
    csrf = re.search(r'name="_csrf" value="([^"]+)"', html)
    nonce = re.search(r'name="nonce" value="([^"]+)"', html)
    assert csrf and nonce, "no key form on the page"
    return csrf.group(1), nonce.group(1)


def signed_up_walk(new_page, base: str, shots: pathlib.Path, width: int, height: int, javascript: bool,
                   key_name: str, created_keys: list[str]) -> tuple[Tour, "Page", str]:
    """The start of a walk through the pages: a tour at this window size (axe checks pages without
    script in a page with script), a browser page with or without script, signed up as a new
    admin, and an API key of the team made as the create form would (added to `created_keys`, for
    the secrets check). Returns the tour, the page and the key."""
    from support.browser import create_keys_over_http, signup

    tour = Tour(width, height, shots, base)
    tour.checker = new_page(javascript=True, width=width, height=height)
    page = new_page(javascript=javascript, width=width, height=height)
    signup(page)
    keys: list[str] = []
    create_keys_over_http(page, [key_name], keys)
    created_keys.extend(keys)
    return tour, page, keys[0]
