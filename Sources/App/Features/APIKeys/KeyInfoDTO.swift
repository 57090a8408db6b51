import Vapor

/// What `GET /api/v1/organizer/key` tells an integration about its own credentials. The answer is
/// written by `write(to:)` (KeyInfoDTO+JSON.swift), which must follow every field added here.
struct KeyInfoDTO: Content {
    struct TeamDTO: Content {
        let id, name, slug: String
    }
    let id, name, preview, status: String
    let description: Nullable<String>
    let createdAt, expiresAt: Nullable<Date>
    let team: TeamDTO
    /// `"team"` when the key follows its team's permissions, else the key's own list.
    let granted: Granted
    /// What the key may do now: its own choice within the team's current permissions.
    let permissions: [String]
    let mayRollItself: Bool
    /// `"all"` for every event of the team, else the ids of the events the key reaches.
    let events: Events
    /// For a key that works only around its events: when that time starts and ends (null for a
    /// key without such a window, or when none of its events is left).
    let validFrom, validUntil: Nullable<Date>
    /// The budgets its requests spend from, on every server together (null: the server has
    /// budgets off).
    let rateLimit: Nullable<RateLimitDTO>

    struct RateLimitDTO: Content {
        /// The key's requests a minute, and whether its admins set them ("key") or it has the
        /// server's default ("server").
        let requestsPerMinute: Int
        let source: String
        /// The team's budget shared by all its keys, if it has one.
        let teamRequestsPerMinute: Nullable<Int>

        enum CodingKeys: String, CodingKey {
            case requestsPerMinute = "requests_per_minute", source
            case teamRequestsPerMinute = "team_requests_per_minute"
        }
    }

    typealias Granted = WordOrList<TeamWord>
    typealias Events = WordOrList<AllWord>

    enum TeamWord: FixedWord { static let word = "team" }
    enum AllWord: FixedWord { static let word = "all" }

    enum CodingKeys: String, CodingKey {
        case id, name, preview, status, description, team, granted, permissions
        case createdAt = "created_at", expiresAt = "expires_at", mayRollItself = "may_roll_itself"
        case events, validFrom = "valid_from", validUntil = "valid_until"
        case rateLimit = "rate_limit"
    }

    /// `events`: the ids the key reaches when it is scoped (nil: all events).
    init(_ key: VerifiedKey, events: [UUID]?, settings: Settings) {
        let state = key.state()
        id = key.id.lowercasedString
        name = key.name
        preview = "…" + key.lastFour
        status = state.status.rawValue
        description = Nullable(key.description)
        createdAt = Nullable(key.createdAt)
        expiresAt = Nullable(key.expiresAt)
        team = .init(id: key.teamID.lowercasedString, name: key.teamName, slug: key.teamSlug)
        granted = key.granted.map { .list($0.sorted().map(\.rawValue)) } ?? .word
        permissions = state.permissions.sorted().map(\.rawValue)
        mayRollItself = key.mayRollItself
        self.events = events.map { .list($0.map(\.lowercasedString).sorted()) } ?? .word
        validFrom = Nullable(key.window?.from)
        validUntil = Nullable(key.window?.until)
        rateLimit = Nullable(
            settings.apiRateLimitPerMinute > 0
                ? RateLimitDTO(
                    requestsPerMinute: settings.keyRateLimit(key.rateLimit),
                    source: key.rateLimit == nil ? "server" : "key",
                    teamRequestsPerMinute: Nullable(key.teamRateLimit.map { min($0, settings.rateCeiling) }))
                : nil)
    }
}

/// The one word a `WordOrList` field may hold instead of its list.
protocol FixedWord: Sendable { static var word: String { get } }

/// A field that is either one fixed word or a list of strings: `granted` (`"team"` or permissions) and
/// `events` (`"all"` or event ids). openapi.json describes the word as a one-value `enum`, which client
/// generators handle (a `const` branch broke openapi-python-client's model for `GET /key`).
enum WordOrList<Word: FixedWord>: Codable, Equatable, Sendable {
    case word
    case list([String])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let list = try? container.decode([String].self) { self = .list(list); return }
        guard try container.decode(String.self) == Word.word else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(Word.word)\" or a list expected")
        }
        self = .word
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .word: try container.encode(Word.word)
        case .list(let list): try container.encode(list)
        }
    }
}

/// `POST /api/v1/organizer/key/roll`.
struct SelfRollRequest: Decodable {
    var graceSeconds: Int?
    var expiresInDays: Int?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case graceSeconds = "grace_seconds", expiresInDays = "expires_in_days"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        graceSeconds = try container.decodeIfPresent(Int.self, forKey: .graceSeconds)
        expiresInDays = try container.decodeIfPresent(Int.self, forKey: .expiresInDays)
    }
}

/// The answer to a roll: the new secret, once.
struct RolledKeyDTO: Content {
    let key, preview: String
    let oldSecretExpiresAt, expiresAt: Nullable<Date>

    enum CodingKeys: String, CodingKey {
        case key, preview
        case oldSecretExpiresAt = "old_secret_expires_at", expiresAt = "expires_at"
    }
}

/// `GET /api/v1/organizer/key/usage`: requests per day, oldest first, today last.
struct KeyUsageDTO: Content {
    struct Day: Content {
        let date: String
        let ok, clientErrors, rateLimited, serverErrors, total: Int

        enum CodingKeys: String, CodingKey {
            case date, ok, total
            case clientErrors = "client_errors", rateLimited = "rate_limited", serverErrors = "server_errors"
        }
    }

    let days: [Day]
    let total: Int

    init(_ days: [APIKeyUsage.Day]) {
        self.days = days.map {
            Day(
                date: KeyUsageView.dateText($0.date), ok: $0.tally.ok, clientErrors: $0.tally.clientErrors,
                rateLimited: $0.tally.rateLimited,
                serverErrors: $0.tally.serverErrors, total: $0.total)
        }
        total = days.map(\.total).reduce(0, +)
    }
}
