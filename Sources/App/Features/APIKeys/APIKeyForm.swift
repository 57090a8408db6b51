import Fluent
import Foundation
import Vapor

/// The fields of the create and edit forms, as posted.
struct APIKeyFormInput: Content {
    var name, description, nonce, addresses: String?
    /// "dialog" when posted from the list's dialog (so problems are shown there again).
    var from: String?
    var permissionChoice: String?
    var permissions: [String]?
    var mayRollItself: String?
    var expiresInDays: String?
    /// "all" or "only"; the ticked event ids; "" or the hours of the window around them.
    var eventChoice: String?
    var events: [String]?
    var eventWindow: String?
    /// Requests per minute; empty: the server's default.
    var rateLimit: String?

    enum CodingKeys: String, CodingKey {
        case name, description, nonce, permissions, from, events
        case eventChoice = "event_choice", eventWindow = "event_window"
        case addresses = "allowed_addresses"
        case permissionChoice = "permission_choice"
        case mayRollItself = "may_roll_itself"
        case expiresInDays = "expires_in_days"
        case rateLimit = "rate_limit_per_minute"
    }

    /// The name, policy and event scope, or every problem at once. Editing keeps the key's
    /// expiry: a lifetime changes only by rolling. `teamEvents`: those of the ticked events that
    /// are the team's (`EventScopeStore.teamEvents`).
    func validated(
        for team: Team, teamEvents: Set<UUID>, rateRule: RequestsPerMinuteRule, editing key: APIKey? = nil
    ) throws -> (
        name: String, policy: APIKeyPolicy, scope: EventScope
    ) {
        var validation = Validation()
        let name = APIKey.nameRule.check(self.name, InputField("name", label: "Name"), into: &validation)
        let policy = validation.collect {
            try APIKeyPolicy(
                description: description, permissionChoice: permissionChoice, permissions: permissions ?? [],
                addresses: addresses,
                mayRollItself: mayRollItself != nil,
                lifetime: key.map { .keep($0.expiresAt) } ?? .choose(days: expiresInDays),
                // A form without the field (the server has budgets off, or an older page) keeps
                // the key's; an empty field gives it the default.
                rateLimit: rateLimit ?? key?.rateLimitPerMinute.map(String.init),
                rateRule: rateRule, team: team)
        }
        let scope = validation.collect {
            try EventScope(choice: eventChoice, ids: events ?? [], window: eventWindow, teamEvents: teamEvents)
        }
        try validation.finish()
        guard let name, let policy, let scope else { throw DomainError.invalid(validation.problems) }
        return (name, policy, scope)
    }
}

/// What the create and edit forms show: the values to fill in, and the choices.
struct APIKeyFormValues: Encodable {
    struct Option: Encodable {
        let value, label: String
        let selected: Bool
    }

    var name = "", description = "", addresses = ""
    /// Requests per minute as typed (empty: the default, which `rateDefault` names).
    var rateLimit = ""
    var rateDefault = ""
    var rateCeiling = ""
    var ratesOn = false
    var onlySome = false
    var mayRollItself = false
    var permissions: [Option] = []
    var lifetimes: [Option] = []
    /// The team's maximum key lifetime, which the form names (why "No expiration" is missing).
    var maximumDays: Int?
    /// Whether description, events, addresses and self-rolling sit under "More options" (create),
    /// and whether it starts open: something there differs from the defaults.
    var collapsesMore = false
    var moreOpen = false
    /// The events offered (`loadEvents`), whether only some are chosen, and the window's choices.
    var events: [Option] = []
    var hasEvents = false
    var onlyEvents = false
    var windows: [Option] = []
    private var chosenEvents: Set<String> = []

    /// A blank form for `team`, or the values of `key`, or what was posted (after a problem).
    /// The ids of the form's inputs, by the field names the rules use.
    static let fieldIDs = [
        "name": "key-name", "description": "key-description", "permissions": "key-permissions",
        "allowed_addresses": "key-addresses", "expires_in_days": "key-expires", "events": "key-events",
        "event_window": "key-event-window", "rate_limit_per_minute": "key-rate-limit",
    ]

    /// `scope`: the key's, when the form shows a key.
    init(team: Team, key: APIKey? = nil, scope: EventScope? = nil, posted: APIKeyFormInput? = nil) {
        let chosen = Set(posted?.permissions ?? key?.granted?.map(\.rawValue) ?? [])
        permissions = team.permissions.sorted().map {
            Option(value: $0.rawValue, label: $0.rawValue, selected: chosen.contains($0.rawValue))
        }
        maximumDays = team.maxKeyLifetimeDays
        let days = posted?.expiresInDays ?? Self.defaultLifetime(team: team, key: key)
        lifetimes = APIKeyPolicy.lifetimes(allowedBy: team.maxKeyLifetimeDays).map {
            Option(value: String($0), label: LifetimeLabel.of(days: $0), selected: String($0) == days)
        }
        let window =
            posted.map { $0.eventWindow ?? "" } ?? scope?.windowHours.map(String.init) ?? ""
        windows = ([""] + EventScope.windowChoices.map(String.init)).map {
            Option(
                value: $0,
                label: $0.isEmpty
                    ? "Always" : "Only \($0) hours around its events",
                selected: $0 == window)
        }
        if let posted {
            onlyEvents = posted.eventChoice == "only"
            chosenEvents = Set((posted.events ?? []).prefix(EventScope.maximumEvents + 1).map { $0.lowercased() })
        } else if let events = scope?.events {
            onlyEvents = true
            chosenEvents = Set(events.map(\.lowercasedString))
        }
        if let posted {
            name = String((posted.name ?? "").prefix(200))
            description = String((posted.description ?? "").prefix(600))
            addresses = String((posted.addresses ?? "").prefix(2000))
            onlySome = posted.permissionChoice == "only"
            mayRollItself = posted.mayRollItself != nil
            rateLimit = String((posted.rateLimit ?? "").prefix(20))
        } else if let key {
            rateLimit = key.rateLimitPerMinute.map(String.init) ?? ""
            name = key.name
            description = key.keyDescription ?? ""
            addresses = APIKeyPolicy.ranges(key.allowedAddresses).map(\.description).joined(separator: "\n")
            onlySome = key.granted != nil
            mayRollItself = key.mayRollItself
        }
    }

    /// The lifetime chosen at first: 90 days, as GitHub's tokens (or the longest the team
    /// allows below that); a roll keeps "No expiration" for a key that has none, where allowed.
    static func defaultLifetime(team: Team, key: APIKey?) -> String {
        let allowed = APIKeyPolicy.lifetimes(allowedBy: team.maxKeyLifetimeDays)
        if let key, key.expiresAt == nil, allowed.contains(0) { return "0" }
        return String(allowed.contains(90) ? 90 : allowed.filter { $0 <= 90 }.max() ?? allowed.max() ?? 0)
    }

    /// Marks the form as a new key's: the options past name, permissions and expiration folded
    /// under "More options", open when any of them is set.
    mutating func foldMoreOptions() {
        collapsesMore = true
        moreOpen =
            !description.isEmpty || !addresses.isEmpty || mayRollItself || onlyEvents || !rateLimit.isEmpty
            || windows.contains { $0.selected && !$0.value.isEmpty }
    }

    /// Names the server's default budget and ceiling next to the field (absent when the
    /// server has budgets off).
    mutating func describeRates(_ settings: Settings) {
        ratesOn = settings.apiRateLimitPerMinute > 0
        rateDefault = RequestsPerMinuteRule.format(settings.apiRateLimitPerMinute)
        rateCeiling = RequestsPerMinuteRule.format(settings.rateCeiling)
    }

    /// A blank form for `team` with its events to choose from.
    static func withEvents(team: Team, on db: any Database) async throws -> APIKeyFormValues {
        var form = APIKeyFormValues(team: team)
        try await form.loadEvents(team: team.requireID(), on: db)
        form.foldMoreOptions()
        return form
    }

    /// The team's events to choose from (those chosen always among them), ticked as chosen.
    mutating func loadEvents(team: UUID, on db: any Database) async throws {
        let chosen = Set(chosenEvents.compactMap(UUID.init(uuidString:)))
        let choices = try await EventScopeStore.choices(team: team, selected: chosen, on: db)
        events = choices.map {
            let date = $0.startsAt.formatted(
                Date.FormatStyle(
                    date: .abbreviated, time: .omitted, timeZone: TimeZone(identifier: $0.timezone) ?? Self.utc))
            return Option(
                value: $0.id.lowercasedString, label: "\($0.name) · \(date)\($0.cancelled ? " (cancelled)" : "")",
                selected: chosenEvents.contains($0.id.lowercasedString))
        }
        hasEvents = !events.isEmpty
    }

    static let utc = TimeZone(secondsFromGMT: 0)!
}
