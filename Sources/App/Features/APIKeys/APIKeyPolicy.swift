import APIKeyCore
import Foundation

/// What an admin decides about a key besides its name: description, permissions, address
/// fence, self-rolling and lifetime. Built once from the form, with every problem found at once;
/// the store takes nothing else.
struct APIKeyPolicy: Sendable, Equatable {
    var description: String?
    /// nil: all of the team's permissions, as they change.
    var granted: Set<Permission>?
    /// Empty: any address.
    var allowedAddresses: [AddressRange]
    var mayRollItself: Bool
    var expiresAt: Date?
    /// Its own requests-per-minute budget; nil: the server's default.
    var rateLimitPerMinute: Int? = nil

    static let maximumDescription = 500
    static let descriptionRule = TextRule(maximum: maximumDescription, required: false)
    static let maximumAddresses = 20
    /// Lifetimes offered when creating or rolling a key, in days (0 = never expires).
    static let lifetimeChoices = [0, 7, 30, 60, 90, 365]

    /// The lifetimes a team's policy allows.
    static func lifetimes(allowedBy maximum: Int?) -> [Int] {
        guard let maximum else { return lifetimeChoices }
        return lifetimeChoices.filter { $0 > 0 && $0 <= maximum }
    }

    /// How a form sets the key's expiry: a lifetime chosen from the list (create, roll), or
    /// the key's current expiry kept (edit).
    enum Lifetime {
        case choose(days: String?)
        case keep(Date?)
    }

    /// Reads the form's fields. `permissionChoice` is "team" or "only"; `permissions` the ticked
    /// names; `addresses` entries separated by spaces, commas or lines.
    init(
        description: String?, permissionChoice: String?, permissions: [String], addresses: String?, mayRollItself: Bool,
        lifetime: Lifetime, rateLimit: String? = nil, rateRule: RequestsPerMinuteRule? = nil, team: Team,
        now: Date = Date()
    ) throws {
        var validation = Validation()
        let description = Self.descriptionRule.check(
            description, InputField("description", label: "Description"), into: &validation)
        let rateLimitPerMinute = rateRule?.check(
            rateLimit, InputField("rate_limit_per_minute", label: "Requests per minute"), into: &validation)
        var problems = validation.problems
        var granted: Set<Permission>?
        // Ticked permissions without a choice mean "only these"; with "all" they contradict it,
        // and guessing either way could make a key more powerful than its admin meant.
        switch permissionChoice ?? (permissions.isEmpty ? "team" : "only") {
        case "team" where !permissions.isEmpty:
            problems.append(
                .init(
                    field: "permissions",
                    message:
                        "You chose all of the team’s permissions and also ticked some. Choose “Only these” to limit the key to the ticked ones, or untick them."
                ))
        case "team":
            granted = nil
        case "only":
            let (chosen, problem) = Self.permissions(permissions, heldBy: team)
            if let problem { problems.append(problem) }
            granted = chosen
        default:
            problems.append(
                .init(field: "permissions", message: "Choose all of the team's permissions or only some of them."))
        }
        let (ranges, addressProblems) = Self.parse(addresses: addresses ?? "")
        problems += addressProblems
        var expiresAt: Date?
        switch lifetime {
        case .keep(let current):
            expiresAt = current
        case .choose(let text):
            do {
                expiresAt = try Self.expiry(chosen: text, team: team, from: now)
            } catch let error as DomainError {
                problems += error.problems
            }
        }
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
        self.init(
            description: description, granted: granted, allowedAddresses: ranges, mayRollItself: mayRollItself,
            expiresAt: expiresAt, rateLimitPerMinute: rateLimitPerMinute)
    }

    init(
        description: String?, granted: Set<Permission>?, allowedAddresses: [AddressRange], mayRollItself: Bool,
        expiresAt: Date?, rateLimitPerMinute: Int? = nil
    ) {
        self.description = description
        self.granted = granted
        self.allowedAddresses = allowedAddresses
        self.mayRollItself = mayRollItself
        self.expiresAt = expiresAt
        self.rateLimitPerMinute = rateLimitPerMinute
    }

    /// The expiry for a lifetime picked from the list, within the team's maximum.
    static func expiry(chosen text: String?, team: Team, from now: Date = Date()) throws -> Date? {
        guard let days = Int(text ?? "0"), lifetimes(allowedBy: team.maxKeyLifetimeDays).contains(days) else {
            let message =
                team.maxKeyLifetimeDays.map {
                    "This team's keys may live at most \($0) days; choose a lifetime from the list."
                }
                ?? "Choose when the key expires from the list."
            throw DomainError.invalid([.init(field: "expires_in_days", message: message)])
        }
        return days == 0 ? nil : now.addingTimeInterval(TimeInterval(days) * 86400)
    }

    /// The expiry of a key that rolls itself. Its admins' choices are a ceiling: the key may
    /// shorten its life (`days`, a lifetime from the list), never clear or lengthen the expiry
    /// they set, and it ends up within the team's maximum even if it had no expiry before.
    /// Without `days` it keeps its expiry (capped by the maximum).
    static func selfRollExpiry(days: Int?, current: Date?, team: Team, now: Date = Date()) throws -> Date? {
        let teamCeiling = team.maxKeyLifetimeDays.map { now.addingTimeInterval(TimeInterval($0) * 86400) }
        let ceiling = [current, teamCeiling].compactMap { $0 }.min()
        guard let days else { return ceiling }
        func expiry(_ days: Int) -> Date? { days == 0 ? nil : now.addingTimeInterval(TimeInterval(days) * 86400) }
        let allowed = lifetimes(allowedBy: team.maxKeyLifetimeDays).filter { choice in
            guard let ceiling else { return true }
            return expiry(choice).map { $0 <= ceiling } ?? false
        }
        guard allowed.contains(days) else {
            var message =
                allowed.isEmpty
                ? "Leave expires_in_days out to keep this key's expiry"
                : "expires_in_days must be one of "
                    + allowed.map { $0 == 0 ? "0 (no expiry)" : String($0) }.joined(separator: ", ")
                    + ", or left out to keep this key's expiry"
            if let current, current == ceiling {
                message +=
                    " (it expires at \(RFC3339.format(current)); a key rolling itself may shorten its life, never lengthen it)."
            } else if let maximum = team.maxKeyLifetimeDays {
                message += " (this team's keys live at most \(maximum) days)."
            } else {
                message += "."
            }
            throw DomainError.invalid([.init(field: "expires_in_days", message: message)])
        }
        return expiry(days)
    }

    /// A non-empty choice among the permissions the team holds.
    static func permissions(_ names: [String], heldBy team: Team) -> (Set<Permission>?, FieldProblem?) {
        var chosen = Set<Permission>()
        for name in names {
            guard let permission = Permission(rawValue: name) else {
                return (nil, .init(field: "permissions", message: "“\(name.prefix(40))” is not a permission."))
            }
            guard team.permissions.contains(permission) else {
                return (
                    nil,
                    .init(
                        field: "permissions",
                        message: "This team does not hold \(permission.rawValue), so no key of it can.")
                )
            }
            chosen.insert(permission)
        }
        guard !chosen.isEmpty else {
            return (
                nil,
                .init(
                    field: "permissions",
                    message: "Choose at least one permission, or give the key all of the team's permissions.")
            )
        }
        return (chosen, nil)
    }

    /// Address entries, each checked, at most `maximumAddresses`.
    static func parse(addresses text: String) -> ([AddressRange], [FieldProblem]) {
        let entries = text.split(whereSeparator: { $0 == "," || $0.isWhitespace })
        var ranges: [AddressRange] = []
        var problems: [FieldProblem] = []
        if entries.count > maximumAddresses {
            problems.append(
                .init(
                    field: "allowed_addresses",
                    message: "At most \(maximumAddresses) addresses or ranges; this has \(entries.count)."))
        }
        for entry in entries.prefix(maximumAddresses + 5) {
            do {
                let range = try AddressRange(parsing: entry)
                if !ranges.contains(range) { ranges.append(range) }
            } catch {
                problems.append(.init(field: "allowed_addresses", message: error.message))
            }
        }
        return (ranges, problems)
    }

    /// Stored ranges (written canonical by the store, so none is dropped in practice).
    static func ranges(_ column: String?) -> [AddressRange] {
        (column ?? "").split(separator: " ").compactMap { try? AddressRange(parsing: $0) }
    }
}
