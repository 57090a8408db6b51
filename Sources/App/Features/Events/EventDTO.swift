import Foundation
import Vapor

/// An event as the API shows it: snake_case, RFC 3339 times, `venue` and `capacity` always
/// present (null when unset). Written by `JSONWriter` only, for single events and lists
/// alike: the list is the hottest response and one encoder keeps both forms the same.
struct EventDTO: Sendable {
    let event: EventRecord

    init(_ event: EventRecord) {
        self.event = event
    }

    func write(to json: inout JSONWriter) {
        json.raw("{")
        json.key("id", first: true); json.string(event.id.lowercasedString)
        json.key("name"); json.string(event.name)
        json.key("description"); json.string(event.description)
        json.key("starts_at"); json.date(event.startsAt)
        json.key("ends_at"); json.date(event.endsAt)
        json.key("timezone"); json.string(event.timezone)
        json.key("venue"); json.optionalString(event.venue)
        json.key("capacity"); json.int(event.capacity)
        json.key("status"); json.string(event.status.rawValue)
        json.key("created_at"); json.date(event.createdAt)
        json.key("updated_at"); json.date(event.updatedAt)
        json.raw("}")
    }

    /// The event as a JSON response (and a Location for 201).
    func response(_ status: HTTPStatus = .ok, location: String? = nil) -> Response {
        var json = JSONWriter(capacity: 512)
        write(to: &json)
        return json.response(status, location: location)
    }
}

extension Page where Item == EventDTO {
    /// The page as a JSON response.
    func response() -> Response {
        // An event with a paragraph of description is about 700 bytes: room for that, so the
        // buffer is not grown (and copied) halfway through a page.
        var json = JSONWriter(capacity: 512 + data.count * 768)
        json.raw("{\"data\":[")
        for (index, event) in data.enumerated() {
            if index > 0 { json.raw(",") }
            event.write(to: &json)
        }
        json.raw("],\"next_cursor\":")
        json.optionalString(nextCursor)
        json.raw("}")
        return json.response(.ok)
    }
}
