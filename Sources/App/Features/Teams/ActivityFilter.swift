import Foundation
import Vapor

/// Which of the team's Activity entries a page shows: by actor (an API key or a person), by kind,
/// by event (the event and everything under it), and by day (UTC). Read from the page's query
/// like the key list's filters: a value that is not one of the choices shows everything for it.
struct ActivityFilter: Sendable, Equatable {
    enum Kind: String, CaseIterable, Sendable {
        case keys, members, events, attendees, settings

        var label: String {
            switch self {
            case .keys: "API keys"
            case .members: "Members and invitations"
            case .events: "Events"
            case .attendees: "Attendees and check-ins"
            case .settings: "Team settings"
            }
        }

        /// The entries' actions of this kind.
        var actions: [String] { AuditEvent.Action.allCases.filter { Self(of: $0) == self }.map(\.rawValue) }

        init(of action: AuditEvent.Action) {
            switch action {
            case .keyCreated, .keyDeleted, .keyChanged, .keyRolled, .keyGraceEnded, .keyPaused, .keyResumed,
                .keyExpired, .keyRevokedAsLeaked, .keyLeakNoticeDismissed:
                self = .keys
            case .memberAdded, .memberInvited, .invitationWithdrawn, .invitationDeclined, .memberRemoved, .memberLeft,
                .memberRoleChanged:
                self = .members
            case .keyPolicyChanged, .permissionsChanged, .teamCreated, .webhookCreated, .webhookChanged,
                .webhookDeleted, .webhookPaused, .webhookResumed, .webhookSecretRolled,
                .webhookTested, .webhookResent:
                self = .settings
            case .eventCreated, .eventUpdated, .eventDeleted: self = .events
            case .attendeeRegistered, .attendeeUpdated, .attendeeDeleted, .attendeeCheckedIn, .checkInUndone:
                self = .attendees
            }
        }
    }

    var key: UUID?
    var person: UUID?
    var kind: Kind?
    var event: UUID?
    /// Whole days, UTC: from the start of `from` to the end of `until`.
    var from: Date?
    var until: Date?
    /// The id a request's answer named (`Request-Id`): what a change made in that request left.
    var requestID: String?

    init(
        key: UUID? = nil, person: UUID? = nil, kind: Kind? = nil, event: UUID? = nil, from: Date? = nil,
        until: Date? = nil, requestID: String? = nil
    ) {
        (self.key, self.person, self.kind, self.event, self.from, self.until) = (key, person, kind, event, from, until)
        self.requestID = requestID
    }

    init(_ req: Request) {
        func text(_ name: String) -> String? {
            (try? req.query.get(String.self, at: name)).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        // "who" is one field for both: "key:<id>" or "person:<id>".
        let who = text("who") ?? ""
        if who.hasPrefix("key:") { key = UUID(uuidString: String(who.dropFirst(4))) }
        if who.hasPrefix("person:") { person = UUID(uuidString: String(who.dropFirst(7))) }
        kind = text("kind").flatMap(Kind.init(rawValue:))
        event = text("event").flatMap(UUID.init(uuidString:))
        from = text("from").flatMap(Self.day)
        until = text("until").flatMap(Self.day)
        // Only what a request id can be; anything else matches nothing anyway.
        requestID = text("request_id").flatMap { RequestIDMiddleware.isWellFormed($0) ? $0 : nil }
    }

    var isEmpty: Bool { self == ActivityFilter() }

    /// The filter as query items, for links that keep it (the next page).
    var query: [(String, String)] {
        var items: [(String, String)] = []
        if let key { items.append(("who", "key:" + key.lowercasedString)) }
        if let person { items.append(("who", "person:" + person.lowercasedString)) }
        if let kind { items.append(("kind", kind.rawValue)) }
        if let event { items.append(("event", event.lowercasedString)) }
        if let from { items.append(("from", Self.dayText(from))) }
        if let until { items.append(("until", Self.dayText(until))) }
        if let requestID { items.append(("request_id", requestID)) }
        return items
    }

    /// The value of `who` in the form.
    var who: String {
        key.map { "key:" + $0.lowercasedString } ?? person.map { "person:" + $0.lowercasedString } ?? ""
    }

    static let utc = TimeZone(secondsFromGMT: 0)!

    /// A `yyyy-mm-dd` day at 00:00 UTC (what `<input type=date>` sends).
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]),
            let day = Int(parts[2]), (1970...9999).contains(year)
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = utc
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    static func dayText(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: utc).year().month().day())
    }
}
