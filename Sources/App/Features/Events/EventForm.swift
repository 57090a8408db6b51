import Foundation
import Vapor

/// The web form for an event: text fields, times as wall-clock times in the event's zone.
/// It only reads what was typed; the rules (and their messages) are `EventDraft`'s.
struct EventForm: Content {
    var name, description, startsAt, endsAt, timezone, venue, capacity, status: String?

    enum CodingKeys: String, CodingKey {
        case name, description, timezone, venue, capacity, status
        case startsAt = "starts_at", endsAt = "ends_at"
    }

    /// What the form shows again after a problem (bounded, so a huge post is not echoed whole).
    var values: EventPages.FormValues {
        .init(
            name: String((name ?? "").prefix(300)), description: String((description ?? "").prefix(12_000)),
            startsAt: String((startsAt ?? "").prefix(40)), endsAt: String((endsAt ?? "").prefix(40)),
            timezone: String((timezone ?? "UTC").prefix(64)), venue: String((venue ?? "").prefix(300)),
            capacity: String((capacity ?? "").prefix(20)), status: status ?? "draft")
    }

    /// The form as a draft, or every problem that stops it being one.
    func draft() throws -> EventDraft {
        var unreadable: [FieldProblem] = []
        let zone = TimeZone(identifier: Validation.trimmed(timezone) ?? "")
        var capacityValue: Int?
        if let text = Validation.trimmed(capacity) {
            capacityValue = Int(text)
            if capacityValue == nil {
                unreadable.append(
                    .init(
                        field: "capacity", message: EventDraft.capacityMessage,
                        formMessage: EventDraft.capacityFormMessage))
            }
        }
        let eventStatus = EventStatus(rawValue: status ?? "draft")
        if eventStatus == nil {
            unreadable.append(
                .init(field: "status", message: EventDraft.statusMessage, formMessage: EventDraft.statusFormMessage))
        }
        return try EventDraft(
            name: name ?? "", description: description,
            startsAt: zone.flatMap { LocalTime.parse(startsAt ?? "", in: $0) },
            endsAt: zone.flatMap { LocalTime.parse(endsAt ?? "", in: $0) }, timezone: timezone ?? "", venue: venue,
            capacity: capacityValue, status: eventStatus ?? .draft, unreadable: unreadable)
    }
}

/// The web form for registering an attendee.
struct AttendeeForm: Content {
    var name, email, ticketType: String?

    enum CodingKeys: String, CodingKey {
        case name, email
        case ticketType = "ticket_type"
    }

    func draft() throws -> AttendeeDraft {
        try AttendeeDraft(
            name: name ?? "", email: email ?? "", ticketType: Validation.trimmed(ticketType), status: .registered)
    }
}
