"""Admin → Events and the organizer API see the same events: made in one, read in the other."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from support.api import EVENTS, json_headers
from support.browser import create_api_key, fill_event_form, goto_api_keys, signup


def test_an_event_created_in_the_web_ui_is_read_back_through_the_api(page, server, api, created_keys):
    signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "CRM sync", created_keys)

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Events", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Events")
    page.get_by_role("link", name="Create event", exact=True).click()
    fill_event_form(page, {
        "Name": "Swift Summit", "Description": "Talks and workshops", "Starts at": "2027-05-01T09:00",
        "Ends at": "2027-05-01T17:00", "Time zone": "Europe/Berlin", "Venue": "Kongresshaus", "Capacity": "120",
        "Status": "published",
    })
    page.get_by_role("button", name="Create event", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Swift Summit")
    event_id = re.search(r"/admin/events/([0-9a-f-]{36})", page.url).group(1)

    r = api.get(server.url + EVENTS, headers=json_headers(key), timeout=10)
    assert r.status_code == 200, r.text
    events = {e["id"]: e for e in r.json()["data"]}
    event = events[event_id]
    assert event["name"] == "Swift Summit"
    assert event["starts_at"].startswith("2027-05-01T07:00:00")  # 09:00 in Berlin in May is 07:00 UTC
    assert event["venue"] == "Kongresshaus" and event["capacity"] == 120 and event["status"] == "published"

    # The organizer registers an attendee on the event's page; the API lists them.
    page.get_by_label("Attendee name", exact=True).fill("Ada Lovelace")
    page.get_by_label("Attendee email", exact=True).fill("ada@example.com")
    page.get_by_role("button", name="Add attendee", exact=True).click()
    expect(page.locator("table#attendees")).to_contain_text("ada@example.com")
    r = api.get(f"{server.url}{EVENTS}/{event_id}/attendees", headers=json_headers(key), timeout=10)
    assert [a["email"] for a in r.json()["data"]] == ["ada@example.com"]


def test_an_event_created_through_the_api_appears_in_the_web_ui(page, server, api, created_keys):
    signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "Analytics export", created_keys)
    body = {"name": "API Meetup", "starts_at": "2027-06-01T18:00:00Z", "ends_at": "2027-06-01T21:00:00Z",
            "timezone": "UTC", "capacity": 1, "status": "published"}
    r = api.post(server.url + EVENTS, json=body, headers=json_headers(key), timeout=10)
    assert r.status_code == 201, r.text
    event_id = r.json()["id"]
    r = api.post(f"{server.url}{EVENTS}/{event_id}/attendees",
                 json={"name": "Grace Hopper", "email": "grace@example.com"}, headers=json_headers(key), timeout=10)
    assert r.status_code == 201, r.text

    page.goto("/admin/events")
    page.get_by_role("link", name="API Meetup", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API Meetup")
    expect(page.locator("table#attendees")).to_contain_text("grace@example.com")
    expect(page.get_by_text("1 of 1")).to_be_visible()

    # The web form enforces the same capacity with the same words as the API.
    page.get_by_label("Attendee name", exact=True).fill("Late Comer")
    page.get_by_label("Attendee email", exact=True).fill("late@example.com")
    page.get_by_role("button", name="Add attendee", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("This event is full")
    r = api.post(f"{server.url}{EVENTS}/{event_id}/attendees",
                 json={"name": "Late Comer", "email": "late@example.com"}, headers=json_headers(key), timeout=10)
    assert r.status_code == 409 and "This event is full" in r.json()["detail"]


def test_a_9000_character_description_is_saved_through_the_real_form(page, server, api, created_keys):
    # A form this large reaches the server in several TCP segments; the CSRF check must read all
    # of it (it once refused such forms as "expired").
    signup(page)
    goto_api_keys(page)
    key = create_api_key(page, "Reader", created_keys)
    description = "[" + ("Doors open at nine. " * 450)[:8998] + "]"  # 9,000 characters
    page.goto("/admin/events/new")
    page.get_by_label("Name", exact=True).fill("Long read")
    page.get_by_label("Description", exact=True).fill(description)
    page.get_by_label("Starts at", exact=True).fill("2027-05-01T09:00")
    page.get_by_label("Ends at", exact=True).fill("2027-05-01T17:00")
    page.get_by_label("Time zone", exact=True).fill("UTC")
    page.get_by_role("button", name="Create event", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Long read")
    expect(page.get_by_role("status")).to_contain_text("Created “Long read”.")

    # And saved again through the edit form.
    page.get_by_role("link", name="Edit event", exact=True).click()
    page.get_by_label("Description", exact=True).fill(description[::-1])
    page.get_by_role("button", name="Save changes", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Saved “Long read”.")

    r = api.get(server.url + EVENTS, headers=json_headers(key), timeout=10)
    saved = [e["description"] for e in r.json()["data"] if e["name"] == "Long read"]
    assert saved == [description[::-1]]
