import Foundation

/// Which of the team's events a key reaches, and whether only around them. Kept beside the
/// key's policy (a roll or a pause never touches it); stored as `api_keys.events_scoped`,
/// `api_keys.event_window_hours` and one `api_key_events` row per chosen event.
struct EventScope: Sendable, Equatable {
    /// nil: every event of the team, including those created later. A set (maybe empty, once
    /// its events were deleted): only these.
    var events: Set<UUID>?
    /// Only from this many hours before the first of its events starts until as many after the
    /// last one ends (cancelled events left out); nil: whenever. Only for a key with `events`.
    var windowHours: Int?

    static let all = EventScope(events: nil, windowHours: nil)
    static let maximumEvents = 100
    static let windowChoices = [2, 6, 24]

    /// Reads the form: `choice` "all" or "only", `ids` the ticked events, `window` "" or hours.
    /// `teamEvents` are those of `ids` that are events of the key's team; any other id is named
    /// as "not an event of this team" without saying whose it is.
    init(choice: String?, ids: [String], window: String?, teamEvents: Set<UUID>) throws {
        var validation = Validation()
        let windowText = Validation.trimmed(window)
        let hours = windowText.flatMap(Int.init)
        if windowText != nil, !Self.windowChoices.contains(hours ?? -1) {
            validation.add(FieldProblem(field: "event_window", message: "Choose 2, 6 or 24 hours, or always."))
        }
        switch choice ?? (ids.isEmpty ? "all" : "only") {
        case "all":
            validation.require(
                ids.isEmpty,
                FieldProblem(
                    field: "events",
                    message:
                        "You chose all events and also ticked some. Choose “Only these events” to limit the key to the ticked ones, or untick them."
                ))
            validation.require(
                hours == nil,
                FieldProblem(
                    field: "event_window",
                    message: "A key for all events cannot be limited to the time around them; choose its events first.")
            )
            events = nil
        case "only":
            let parsed = ids.compactMap(UUID.init(uuidString:))
            let chosen = Set(parsed)
            validation.require(
                !chosen.isEmpty,
                FieldProblem(field: "events", message: "Tick at least one event, or choose all events."))
            validation.require(
                chosen.count <= Self.maximumEvents,
                FieldProblem(
                    field: "events",
                    message: "A key may reach at most \(Self.maximumEvents) events; this choice has \(chosen.count)."))
            validation.require(
                parsed.count == ids.count && chosen.isSubset(of: teamEvents),
                FieldProblem(
                    field: "events",
                    message: "One of the ticked events is not an event of this team (it may have been deleted)."))
            events = chosen
        default:
            validation.add(FieldProblem(field: "events", message: "Choose all events or only some of them."))
            events = nil
        }
        windowHours = hours
        try validation.finish()
    }

    init(events: Set<UUID>?, windowHours: Int?) {
        self.events = events
        self.windowHours = windowHours
    }

    var isScoped: Bool { events != nil }
}

/// When an event-scoped key with a window works: from `hours` before its first (not cancelled)
/// event starts until `hours` after its last one ends. Read with the key on every request, so
/// rescheduling or cancelling an event moves it at once on every instance.
struct EventWindow: Sendable, Equatable {
    let hours: Int
    /// nil when none of its events is left (all cancelled or deleted): the key does not work.
    let from: Date?
    let until: Date?

    init(hours: Int, firstStart: Date?, lastEnd: Date?) {
        self.hours = hours
        let margin = TimeInterval(hours) * 3600
        if let firstStart, let lastEnd {
            from = firstStart.addingTimeInterval(-margin)
            until = lastEnd.addingTimeInterval(margin)
        } else {
            from = nil
            until = nil
        }
    }

    init(hours: Int, _ reach: EventScopeStore.Reach) {
        self.init(hours: hours, firstStart: reach.firstStart, lastEnd: reach.lastEnd)
    }

    func contains(_ now: Date) -> Bool {
        guard let from, let until else { return false }
        return from <= now && now < until
    }

    /// Why the key does not work at `now`, for the 401.
    func refusal(at now: Date) -> String {
        guard let from, let until else {
            return "This key works only around its events, and none of them is on (cancelled or deleted)."
        }
        if now < from {
            return "This key works only around its events: it starts working at \(RFC3339.format(from))."
        }
        return "This key works only around its events: it stopped working at \(RFC3339.format(until))."
    }
}

/// A key's events as its page shows them.
struct EventScopeView: Encodable {
    struct Item: Encodable {
        let name, date, path: String
        let cancelled: Bool
    }

    let all: Bool
    let events: [Item]
    /// Scoped, and every one of its events was deleted: the key works and reaches nothing.
    let none: Bool
    /// When a key that works only around its events does, in a sentence.
    let window: String?

    static let utc = TimeZone(secondsFromGMT: 0)!

    init(key: APIKey, events choices: [EventScopeStore.EventChoice], now: Date = Date()) {
        all = !key.eventsScoped
        events = choices.map {
            Item(
                name: $0.name,
                // In the event's own time zone, named: the window below is in UTC.
                date: $0.startsAt.formatted(
                    Date.FormatStyle(
                        date: .abbreviated, time: .shortened, timeZone: TimeZone(identifier: $0.timezone) ?? Self.utc))
                    + " (\($0.timezone))",
                path: SitePath.event(.value($0.id)).path, cancelled: $0.cancelled)
        }
        none = key.eventsScoped && choices.isEmpty
        window = key.eventWindowHours.map { hours in
            let span = EventWindow(hours: hours, EventScopeStore.Reach(choices))
            let rule = "Only from \(hours) hours before its first event starts until \(hours) hours after its last ends"
            guard let from = span.from, let until = span.until else {
                return rule + ": none of its events is on, so it does not work."
            }
            let format = Date.FormatStyle(date: .abbreviated, time: .shortened, timeZone: Self.utc)
            return rule + ": \(from.formatted(format)) to \(until.formatted(format)) UTC"
                + (span.contains(now) ? " (now)." : now < from ? " (not yet)." : " (over).")
        }
    }
}
