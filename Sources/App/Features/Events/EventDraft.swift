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
        var validation = Validation()
        validation.add(unreadable)
        let name = Self.nameRule.check(name, InputField("name", label: "Name"), into: &validation)
        let checkedDescription = Self.descriptionRule.check(
            description, InputField("description", label: "Description"), into: &validation)
        let venue = Self.venueRule.check(venue, InputField("venue", label: "Venue"), into: &validation)
        let timezone = timezone.trimmingCharacters(in: .whitespacesAndNewlines)
        // Each rule in the API's words (field names) and in the form's (its labels).
        func check(_ ok: Bool, _ field: String, _ message: String, form: String) {
            validation.require(ok, FieldProblem(field: field, message: message, formMessage: form))
        }
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
        check((0...1_000_000).contains(capacity ?? 0), "capacity", Self.capacityMessage, form: Self.capacityFormMessage)
        // A field the caller could not read is reported once, as unreadable.
        let problems = validation.problems.filter { problem in
            !unreadable.contains { $0.field == problem.field && $0 != problem }
        }
        guard problems.isEmpty, let name, let startsAt, let endsAt else { throw DomainError.invalid(problems) }
        self.init(valid: (name, checkedDescription ?? "", startsAt, endsAt, timezone, venue, capacity, status))
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

    static let nameRule = TextRule.name(maximum: 200, missing: "Enter the event’s name.")
    static let descriptionRule = TextRule(maximum: 10_000, required: false, multiline: true)
    static let venueRule = TextRule(maximum: 200, required: false)
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
        var validation = Validation()
        let name = Self.nameRule.check(name, InputField("name", label: "Name"), into: &validation)
        let email = EmailRule.check(email, into: &validation)
        let ticketType = Self.ticketTypeRule.check(
            ticketType ?? "general", InputField("ticket_type", label: "Ticket type"), into: &validation)
        try validation.finish()
        guard let name, let email, let ticketType else { throw DomainError.invalid(validation.problems) }
        self.init(valid: (name, email, ticketType, status))
    }

    init(valid values: (name: String, email: String, ticketType: String, status: AttendeeStatus)) {
        (name, email, ticketType, status) = values
    }

    static let nameRule = TextRule.name(maximum: 200, missing: "Enter the attendee’s name.")
    static let ticketTypeRule = TextRule.name(maximum: 100)
    static let statusMessage = "status must be one of registered, cancelled, checked_in."
}
