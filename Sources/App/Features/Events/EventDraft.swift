import Foundation

/// An event's values after the rules: trimmed and normalised once, with every problem found at
/// once. The API's requests and the web form both build one, so both say the same thing; the
/// store takes nothing else.
struct EventDraft: Sendable, Equatable {
    private(set) var name, description, timezone: String
    private(set) var startsAt, endsAt: Date
    private(set) var venue: String?
    private(set) var capacity: Int?
    /// Any status goes with any valid event (cancelling touches nothing else).
    var status: EventStatus

    /// `startsAt`/`endsAt` are nil when the input could not be read as a time; `unreadable`
    /// names fields the caller could not parse at all (a capacity that is not a number).
    init(
        name: String, description: String?, startsAt: Date?, endsAt: Date?, timezone: String, venue: String?,
        capacity: Int?,
        status: EventStatus, unreadable: [FieldProblem] = []
    ) throws {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let description = description ?? ""
        let timezone = timezone.trimmingCharacters(in: .whitespacesAndNewlines)
        let venue = FormInput.text(venue)
        var problems: [FieldProblem] = []
        // Each rule in the API's words (field names) and in the form's (its labels).
        func check(_ ok: Bool, _ field: String, _ message: String, form: String) {
            if !ok { problems.append(FieldProblem(field: field, message: message, formMessage: form)) }
        }
        check(!name.isEmpty, "name", "name must be 1 to 200 characters.", form: "Enter the event’s name.")
        check(
            name.count <= 200, "name", "name must be 1 to 200 characters.", form: "Name must be at most 200 characters."
        )
        check(
            description.count <= 10_000, "description", "description must be at most 10,000 characters.",
            form: "Description must be at most 10,000 characters.")
        let zoneKnown = Self.isKnownTimeZone(timezone)
        if zoneKnown {
            check(
                startsAt != nil, "starts_at", "starts_at must be a date and time.",
                form: "Enter when the event starts, as a date and time.")
            check(
                endsAt != nil, "ends_at", "ends_at must be a date and time.",
                form: "Enter when the event ends, as a date and time.")
        }
        if let startsAt, let endsAt {
            check(endsAt > startsAt, "ends_at", "ends_at must be after starts_at.", form: "End must be after start.")
        }
        check(
            zoneKnown, "timezone", "timezone must be an IANA time zone name, like Europe/Berlin.",
            form: "Choose a time zone from the list, like Europe/Berlin.")
        check(
            (venue?.count ?? 0) <= 200, "venue", "venue must be at most 200 characters.",
            form: "Venue must be at most 200 characters.")
        check((0...1_000_000).contains(capacity ?? 0), "capacity", Self.capacityMessage, form: Self.capacityFormMessage)
        for (field, label, text) in [
            ("name", "Name", name), ("description", "Description", description), ("venue", "Venue", venue ?? ""),
            ("timezone", "Time zone", timezone),
        ] {
            check(
                !text.unicodeScalars.contains { $0.value == 0 }, field, "\(field) must not contain NUL characters.",
                form: "\(label) must not contain NUL characters.")
        }
        problems = unreadable + problems.filter { problem in !unreadable.contains { $0.field == problem.field } }
        guard problems.isEmpty, let startsAt, let endsAt else { throw DomainError.invalid(problems) }
        self.init(valid: (name, description, startsAt, endsAt, timezone, venue, capacity, status))
    }

    /// Values already known to be valid (an event's current state).
    init(
        valid values: (
            name: String, description: String, startsAt: Date, endsAt: Date, timezone: String, venue: String?,
            capacity: Int?, status: EventStatus
        )
    ) {
        (name, description, startsAt, endsAt, timezone, venue, capacity, status) = values
    }

    static let capacityMessage = "capacity must be a whole number from 0 to 1,000,000."
    static let capacityFormMessage = "Capacity must be a whole number from 0 to 1,000,000, or empty for no limit."
    static let statusMessage = "status must be one of draft, published, cancelled."
    static let statusFormMessage = "Choose Draft, Published or Cancelled."

    static func isKnownTimeZone(_ identifier: String) -> Bool {
        guard !identifier.isEmpty, identifier.count <= 64, identifier.allSatisfy({ $0.isASCII && !$0.isWhitespace })
        else { return false }
        return identifier == "UTC" || knownTimeZones.contains(identifier)
    }

    /// Read once: `TimeZone.knownTimeZoneIdentifiers` parses the system's zone table on every
    /// call, which measured as most of the cost of creating an event.
    static let knownTimeZones: Set<String> = Set(TimeZone.knownTimeZoneIdentifiers)
}

/// An attendee's values after the rules, shared by the API and the web form.
struct AttendeeDraft: Sendable, Equatable {
    private(set) var name, email, ticketType: String
    var status: AttendeeStatus

    /// `ticketType` nil means the default, "general".
    init(name: String, email: String, ticketType: String?, status: AttendeeStatus) throws {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        let email = email.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let ticketType = (ticketType ?? "general").trimmingCharacters(in: .whitespacesAndNewlines)
        var problems: [FieldProblem] = []
        if name.isEmpty || name.count > 200 {
            problems.append(
                .init(
                    field: "name", message: "name must be 1 to 200 characters.",
                    formMessage: name.isEmpty ? "Enter the attendee’s name." : "Name must be at most 200 characters."))
        }
        if case .failure(let error) = FormInput.email(email) {
            problems.append(
                .init(
                    field: "email", message: "email must be a valid email address, like ada@example.com.",
                    formMessage: error.message))
        }
        if ticketType.isEmpty || ticketType.count > 100
            || ticketType.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            problems.append(
                .init(
                    field: "ticket_type", message: "ticket_type must be 1 to 100 characters.",
                    formMessage: "Ticket type must be 1 to 100 characters, without control characters."))
        }
        if name.unicodeScalars.contains(where: { $0.value == 0 }) {
            problems.append(
                .init(
                    field: "name", message: "name must not contain NUL characters.",
                    formMessage: "Name must not contain NUL characters."))
        }
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        self.init(valid: (name, email, ticketType, status))
    }

    init(valid values: (name: String, email: String, ticketType: String, status: AttendeeStatus)) {
        (name, email, ticketType, status) = values
    }

    static let statusMessage = "status must be one of registered, cancelled, checked_in."
}
