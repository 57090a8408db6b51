"""Who did what (issue 25): an attendee's registration vanished; the admin finds, in Admin → Team →
Activity, that an API key deleted it, from which address, in which request (the id the integrator's
own log has from the answer's Request-Id), and follows the key's link to its page. There, the key's
recent requests: narrowed to its failures, the refused change the integrator asks about, found by
the request id they quote, in full; and Activity's request id search opens the deletion's request.
In a real browser at a phone's and a laptop's width, with and without script, axe-clean."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from support.api import EVENTS, call_api, event
from support.keys import leaked
from support.tour import in_both_windows, signed_up_walk, with_and_without_script



@with_and_without_script
@in_both_windows
def test_an_admin_finds_which_key_deleted_a_registration_from_where_and_in_which_request(
        new_page, server, api, screenshots_dir, created_keys, width, height, javascript):
    base = server.url
    mode = "js" if javascript else "no-js"
    tour, page, key = signed_up_walk(new_page, base, screenshots_dir, width, height, javascript, "CRM sync",
                                     created_keys)

    # The integration's night: an event, a registration, a changed email, then the deletion.
    r = call_api(base, key, EVENTS, "POST", session=api, json=event("Spring meetup"))
    assert r.status_code == 201, r.text
    meetup = r.json()["id"]
    r = call_api(base, key, f"{EVENTS}/{meetup}/attendees", "POST", session=api,
                 json={"name": "Marta Quispe", "email": "marta@example.com"})
    assert r.status_code == 201, r.text
    marta = r.json()["id"]
    r = call_api(base, key, f"{EVENTS}/{meetup}/attendees/{marta}", "PATCH", session=api,
                 json={"email": "marta.q@example.com"})
    assert r.status_code == 200, r.text
    r = call_api(base, key, f"{EVENTS}/{meetup}/attendees/{marta}", "DELETE", session=api)
    assert r.status_code == 204, r.text
    deleted_in = r.headers["Request-Id"]
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", deleted_in), r.headers
    # A refused change answers with an id too, in the problem body as well, and records nothing.
    r = call_api(base, key, f"{EVENTS}/{meetup}", "PATCH", session=api, json={"name": ""})
    assert r.status_code == 422 and r.json()["request_id"] == r.headers["Request-Id"], r.text
    refused_in, refusal = r.headers["Request-Id"], r.json()

    page.goto("/admin/team/activity")
    table = page.locator("table#activity")
    deletion = table.locator("tr[data-action='attendee.deleted']")
    expect(deletion).to_have_count(1)
    expect(deletion).to_contain_text("deleted the registration of Marta Quispe at “Spring meetup”")
    expect(deletion).to_contain_text("API key “CRM sync”")
    expect(deletion).to_contain_text("from 127.0.0.1")
    expect(deletion.locator("code.request-id")).to_have_text(deleted_in)
    change = table.locator("tr[data-action='attendee.updated']")
    expect(change).to_contain_text("marta@example.com → marta.q@example.com")
    expect(table).not_to_contain_text(refused_in)
    tour.look(page, f"activity-api-{mode}", script=javascript)

    # The key's name leads to its page, and its page to everything the key changed.
    deletion.get_by_role("link", name="API key “CRM sync”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("CRM sync")
    page.get_by_role("link", name="Activity by this key", exact=True).click()
    filters = page.locator("form#activity-filters")
    expect(filters.get_by_label("Who")).to_have_value(re.compile(r"^key:"))
    expect(page.locator("table#activity tr[data-action]")).to_have_count(4)  # its four changes, not the sign-up's
    # Narrowed to attendees: the registration, the change and the deletion.
    filters.get_by_label("What").select_option(label="Attendees and check-ins")
    filters.get_by_role("button", name="Show", exact=True).click()
    expect(page.locator("table#activity tr[data-action='event.created']")).to_have_count(0)
    expect(page.locator("table#activity tr[data-action='attendee.deleted']")).to_have_count(1)
    tour.look(page, f"activity-filtered-{mode}", script=javascript)
    # The export is what the filters show.
    export = page.get_by_role("link", name="Export these entries as CSV", exact=True)
    csv = page.context.request.get(export.get_attribute("href"))
    assert csv.status == 200 and csv.headers["content-type"].startswith("text/csv"), csv.headers
    assert deleted_in in csv.text() and "created event" not in csv.text(), csv.text()[:500]

    # The integrator asks about a refused change: the key's page shows its recent requests…
    page.locator("table#activity tr[data-action='attendee.deleted']").get_by_role(
        "link", name="API key “CRM sync”").click()
    recent = page.locator("section#recent-requests")
    expect(recent.get_by_role("heading", name="Recent requests", exact=True)).to_be_visible()
    expect(recent.locator("table#key-recent-requests tbody tr")).to_have_count(5)  # the night's five requests
    expect(recent.locator("table#key-recent-requests tr[data-status='422']")).to_contain_text(
        f"PATCH /api/v1/organizer/events/{meetup}")
    failures_only = recent.get_by_role("link", name="Failures only", exact=True).get_attribute("href")
    recent.get_by_role("link", name="All recent requests", exact=True).click()
    requests_table = page.locator("table#key-requests")
    expect(requests_table.locator("tbody tr")).to_have_count(5)
    expect(requests_table.locator("tr[data-status='204']")).to_contain_text(
        f"DELETE /api/v1/organizer/events/{meetup}/attendees/{marta}")
    # …narrowed to failures (what the key page's "Failures only" link opens): only the refused PATCH,
    # with the problem its client got.
    statuses = page.locator("form#request-filters")
    statuses.get_by_label("Status").select_option(label="Failures only (4xx and 5xx)")
    statuses.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(failures_only) + "$"))
    expect(requests_table.locator("tbody tr")).to_have_count(1)
    refused_row = requests_table.locator("tbody tr[data-status='422']")
    expect(refused_row).to_contain_text(f"PATCH /api/v1/organizer/events/{meetup}")
    expect(refused_row).to_contain_text(refusal["detail"])
    expect(refused_row).to_contain_text("127.0.0.1")
    assert not leaked(created_keys, page.content().encode()), "a key on the requests page"
    tour.look(page, f"key-requests-failures-{mode}", script=javascript)

    # The id the integrator quotes: an unknown one is said to be unknown; theirs opens that request.
    search = page.locator("form#request-search")
    search.get_by_label("Request id").fill("no-such-request")
    search.get_by_role("button", name="Find", exact=True).click()
    expect(page.locator("#request-not-found")).to_contain_text("no-such-request")
    search.get_by_label("Request id").fill(refused_in)
    search.get_by_role("button", name="Find", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/team/api-keys/[0-9a-f-]{36}/requests/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"PATCH /api/v1/organizer/events/{meetup}")
    details = page.locator("#request-details")
    expect(details.locator("#request-status")).to_contain_text("422")
    expect(details.locator("#request-status")).to_contain_text(refusal["title"])
    expect(details.locator("#request-problem")).to_have_text(refusal["detail"])
    expect(details.locator("#request-id")).to_have_text(refused_in)
    expect(details.locator("#request-route")).to_have_text("/api/v1/organizer/events/:event")
    expect(details.locator("#request-address")).to_have_text("127.0.0.1")
    expect(details.locator("#request-user-agent")).to_contain_text("python-requests/")
    assert not leaked(created_keys, page.content().encode()), "a key on the request's page"
    tour.look(page, f"key-request-refused-{mode}", script=javascript)

    # Activity's request id search goes straight to the request that deleted the registration.
    page.goto("/admin/team/activity")
    filters = page.locator("form#activity-filters")
    filters.get_by_label("Request id").fill(deleted_in)
    filters.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/team/api-keys/[0-9a-f-]{36}/requests/[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"DELETE /api/v1/organizer/events/{meetup}/attendees/{marta}")
    expect(details.locator("#request-status")).to_contain_text("204")
    expect(details.locator("#request-problem")).to_have_count(0)
    expect(details.locator("#request-id")).to_have_text(deleted_in)
    expect(details.locator("#request-route")).to_have_text("/api/v1/organizer/events/:event/attendees/:attendee")
    expect(details.locator("#request-address")).to_have_text("127.0.0.1")
    assert not leaked(created_keys, page.content().encode()), "a key on the request's page"
    tour.look(page, f"key-request-deletion-{mode}", script=javascript)
    assert not tour.problems, "\n".join(tour.problems)
