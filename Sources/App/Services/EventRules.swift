import Foundation

/// What an event must satisfy, shared by the API and the web forms so both say the same thing.
struct EventDraft: Sendable {
    var name: String
    var description: String
    var startsAt: Date
    var endsAt: Date
    var timezone: String
    var venue: String?
    var capacity: Int?
    var status: EventStatus

    func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 200 {
            problems.append(.init(field: "name", message: "name must be 1 to 200 characters."))
        }
        if description.count > 10_000 {
            problems.append(.init(field: "description", message: "description must be at most 10,000 characters."))
        }
        if endsAt <= startsAt {
            problems.append(.init(field: "ends_at", message: "ends_at must be after starts_at."))
        }
        if !EventRules.isKnownTimeZone(timezone) {
            problems.append(.init(field: "timezone", message: "timezone must be an IANA time zone name, like Europe/Berlin."))
        }
        if let venue, venue.count > 200 {
            problems.append(.init(field: "venue", message: "venue must be at most 200 characters."))
        }
        if let capacity, capacity < 0 || capacity > 1_000_000 {
            problems.append(.init(field: "capacity", message: "capacity must be a whole number from 0 to 1,000,000."))
        }
        for (field, text) in [("name", name), ("description", description), ("venue", venue ?? ""), ("timezone", timezone)]
        where text.unicodeScalars.contains(where: { $0.value == 0 }) {
            problems.append(.init(field: field, message: "\(field) must not contain NUL characters."))
        }
        return problems
    }
}

enum EventRules {
    static func isKnownTimeZone(_ identifier: String) -> Bool {
        guard !identifier.isEmpty, identifier.count <= 64, identifier.allSatisfy({ $0.isASCII && !$0.isWhitespace }) else { return false }
        return identifier == "UTC" || knownTimeZones.contains(identifier)
    }

    /// Read once: `TimeZone.knownTimeZoneIdentifiers` parses the system's zone table on every
    /// call, which measured as most of the cost of creating an event.
    static let knownTimeZones: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers)

    static let statusMessage = "status must be one of draft, published, cancelled."
}

/// What an attendee must satisfy.
struct AttendeeDraft: Sendable {
    var name: String
    var email: String
    var ticketType: String
    var status: AttendeeStatus

    func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty || trimmed.count > 200 {
            problems.append(.init(field: "name", message: "name must be 1 to 200 characters."))
        }
        if case .failure = FormInput.email(email) {
            problems.append(.init(field: "email", message: "email must be a valid email address, like ada@example.com."))
        }
        if ticketType.isEmpty || ticketType.count > 100 || ticketType.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.append(.init(field: "ticket_type", message: "ticket_type must be 1 to 100 characters."))
        }
        if name.unicodeScalars.contains(where: { $0.value == 0 }) {
            problems.append(.init(field: "name", message: "name must not contain NUL characters."))
        }
        return problems
    }

    static let statusMessage = "status must be one of registered, cancelled, checked_in."
}
