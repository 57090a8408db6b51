import APIKeyCore
import Foundation

/// Every setting Kagibag reads, parsed from the environment in one place.
///
/// A bad value stops start-up with one line naming the variable (see `SettingsError`).
public struct Settings: Sendable {
    public enum Database: Sendable, Equatable {
        case sqliteFile(path: String)
        case sqliteMemory
        case postgres(url: String)
    }

    public var hostname: String = "127.0.0.1"
    public var port: Int = 8080
    public var database: Database = .sqliteFile(path: "kagibag.sqlite")
    /// Connections per event loop (Fluent's pool is per loop): total per instance is this × cores.
    public var databasePoolSize: Int = 4
    /// Whether `serve` applies pending migrations itself (single-instance default).
    public var autoMigrate: Bool = true
    /// Marks the session cookie `Secure`; set when Kagibag is served over HTTPS.
    public var secureCookies: Bool = false
    public var sessionLifetimeHours: Int = 24 * 14
    public var bcryptCost: Int = 12
    /// How often coalesced last-used times are written, and key expiries recorded (1 to 3600 seconds).
    public var lastUsedFlushSeconds: Double = 15
    /// Keeps each key's recent requests (its page's Recent requests); off keeps none.
    public var requestLog: Bool = true
    /// Webhooks may go to `http://` URLs too (only `https://` otherwise): for tests and closed networks.
    public var webhookAllowHTTP = false
    /// Webhooks may go to loopback, private and link-local addresses (refused otherwise, SSRF):
    /// for tests and on-premises receivers.
    public var webhookAllowPrivate = false
    /// How often each instance's worker looks for due webhook messages (seconds).
    public var webhookPollSeconds: Double = 1
    /// At most this many keys per team.
    public var maxKeysPerTeam: Int = 100
    /// API requests per key per minute, the default budget of a key whose admins set none; 0 turns
    /// every request budget (keys' and teams') off. Shared by all instances on PostgreSQL.
    public var apiRateLimitPerMinute: Int = 6000
    /// The most an admin may give a key or a team (`KAGIBAG_API_RATE_LIMIT_MAX`); never below
    /// the default.
    public var apiRateLimitCeiling: Int = 60000
    /// Failed key checks that cost a lookup, per client address per minute (per instance); 0 = off.
    public var keyFailuresPerMinute: Int = 100
    /// Failed logins allowed per account, and per client address, in 15 minutes (per instance).
    public var loginAttemptsPerAccount: Int = 10
    public var loginAttemptsPerAddress: Int = 50
    /// Sign-ups allowed per client address in an hour (per instance).
    public var signupsPerAddress: Int = 20
    /// Threads that hash and check passwords, apart from the database's: half the cores, at least one.
    public var passwordThreads: Int = max(1, ProcessInfo.processInfo.activeProcessorCount / 2)
    /// Password checks that may wait for one of those threads; when they are all taken, sign-up
    /// and login answer 503 with `Retry-After` at once instead of queueing.
    public var passwordQueue: Int = 8
    /// Load balancers (addresses or CIDR ranges) whose forwarding header is believed.
    public var trustedProxies: [AddressRange] = []
    /// The forwarding header those proxies write: `X-Forwarded-For` unless they write `Forwarded`.
    public var trustedProxyHeader: ClientAddressChain.Header = .xForwardedFor
    /// Connections with nothing read or written for this long are closed (seconds; 0: never).
    /// Longer than a load balancer's idle pool (nginx 60 s, AWS ALB 60 s), so that it never
    /// reuses a connection just closed here; it also ends connections whose body was refused.
    public var idleTimeoutSeconds: Int = 75
    /// How long an unauthenticated report's body may take to arrive (tests shorten it).
    public var reportReadTimeoutSeconds: Double = 10
    /// Self-rolls per key per hour (per instance); 0 turns the limit off.
    public var selfRollsPerHour: Int = 10
    /// Check-ins with a code no attendee of the event has, per key per minute (then 429), so
    /// ticket codes cannot be guessed at the door; 0 turns the limit off.
    public var failedCheckInsPerMinute: Int = 30
    /// Largest request body accepted; larger ones get 413.
    public var maxBodyBytes: Int = 64 * 1024
    /// When set, `/metrics` answers only `Authorization: Bearer <token>`.
    public var metricsToken: String?
    /// Requests to the public credential-revocation endpoint per client address per minute
    /// (per instance); 0 turns the limit off.
    public var credentialRevocationsPerMinute: Int = 30
    /// GitHub's public-key document for secret-scanning partners, as saved by the operator;
    /// unset: the GitHub endpoint refuses every report.
    public var secretScanningKeysFile: String?
    /// The address people and integrations reach this server by (`https://events.example.com`),
    /// used in the example requests the pages show. Unset: the host the request came in on.
    public var publicURL: String?

    public init() {}

    /// Reads the settings from `environment` (the process environment by default).
    public static func load(from environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(SettingsError) -> Settings
    {
        var settings = Settings()
        let reader = EnvironmentReader(environment: environment)
        settings.hostname = try reader.string("KAGIBAG_HOST") ?? settings.hostname
        settings.port = try reader.int("KAGIBAG_PORT", in: 1...65535) ?? settings.port
        if let url = try reader.string("DATABASE_URL") {
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw SettingsError(name: "DATABASE_URL", problem: "must start with postgres:// or postgresql://")
            }
            settings.database = .postgres(url: url)
        } else if let path = try reader.string("KAGIBAG_SQLITE_PATH") {
            settings.database = path == ":memory:" ? .sqliteMemory : .sqliteFile(path: path)
        }
        settings.databasePoolSize = try reader.int("KAGIBAG_DB_POOL_SIZE", in: 1...1000) ?? settings.databasePoolSize
        settings.autoMigrate = try reader.bool("KAGIBAG_AUTO_MIGRATE") ?? settings.autoMigrate
        settings.secureCookies = try reader.bool("KAGIBAG_SECURE_COOKIES") ?? settings.secureCookies
        settings.sessionLifetimeHours =
            try reader.int("KAGIBAG_SESSION_HOURS", in: 1...(24 * 366)) ?? settings.sessionLifetimeHours
        settings.bcryptCost = try reader.int("KAGIBAG_BCRYPT_COST", in: 4...31) ?? settings.bcryptCost
        settings.lastUsedFlushSeconds =
            try reader.double("KAGIBAG_LAST_USED_FLUSH_SECONDS", in: 1...3600) ?? settings.lastUsedFlushSeconds
        settings.requestLog = try reader.bool("KAGIBAG_REQUEST_LOG") ?? settings.requestLog
        settings.webhookAllowHTTP = try reader.bool("KAGIBAG_WEBHOOK_ALLOW_HTTP") ?? settings.webhookAllowHTTP
        settings.webhookAllowPrivate = try reader.bool("KAGIBAG_WEBHOOK_ALLOW_PRIVATE") ?? settings.webhookAllowPrivate
        settings.webhookPollSeconds =
            try reader.double("KAGIBAG_WEBHOOK_POLL_SECONDS", in: 0.05...60) ?? settings.webhookPollSeconds
        settings.maxKeysPerTeam =
            try reader.int("KAGIBAG_MAX_KEYS_PER_TEAM", in: 1...100_000) ?? settings.maxKeysPerTeam
        settings.apiRateLimitPerMinute =
            try reader.int("KAGIBAG_API_RATE_LIMIT", in: 0...1_000_000_000) ?? settings.apiRateLimitPerMinute
        if let ceiling = try reader.int("KAGIBAG_API_RATE_LIMIT_MAX", in: 1...1_000_000_000) {
            guard ceiling >= settings.apiRateLimitPerMinute else {
                throw SettingsError(
                    name: "KAGIBAG_API_RATE_LIMIT_MAX",
                    problem: "must be at least KAGIBAG_API_RATE_LIMIT (\(settings.apiRateLimitPerMinute))")
            }
            settings.apiRateLimitCeiling = ceiling
        } else {
            settings.apiRateLimitCeiling = max(settings.apiRateLimitCeiling, settings.apiRateLimitPerMinute)
        }
        settings.keyFailuresPerMinute =
            try reader.int("KAGIBAG_KEY_FAILURES_PER_MINUTE", in: 0...1_000_000) ?? settings.keyFailuresPerMinute
        settings.loginAttemptsPerAccount =
            try reader.int("KAGIBAG_LOGIN_ATTEMPTS_PER_ACCOUNT", in: 1...1_000_000) ?? settings.loginAttemptsPerAccount
        settings.loginAttemptsPerAddress =
            try reader.int("KAGIBAG_LOGIN_ATTEMPTS_PER_ADDRESS", in: 1...1_000_000) ?? settings.loginAttemptsPerAddress
        settings.signupsPerAddress =
            try reader.int("KAGIBAG_SIGNUPS_PER_ADDRESS", in: 1...1_000_000) ?? settings.signupsPerAddress
        settings.passwordThreads = try reader.int("KAGIBAG_PASSWORD_THREADS", in: 1...256) ?? settings.passwordThreads
        settings.passwordQueue = try reader.int("KAGIBAG_PASSWORD_QUEUE", in: 0...10_000) ?? settings.passwordQueue
        if let proxies = try reader.string("KAGIBAG_TRUSTED_PROXIES") {
            for entry in proxies.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
            where !entry.isEmpty {
                do {
                    settings.trustedProxies.append(try AddressRange(parsing: entry))
                } catch {
                    throw SettingsError(
                        name: "KAGIBAG_TRUSTED_PROXIES",
                        problem: "must be addresses or CIDR ranges separated by commas: \(error.message)")
                }
            }
        }
        if let header = try reader.string("KAGIBAG_TRUSTED_PROXY_HEADER") {
            guard let value = ClientAddressChain.Header(rawValue: header.lowercased()) else {
                throw SettingsError(
                    name: "KAGIBAG_TRUSTED_PROXY_HEADER",
                    problem: "must be X-Forwarded-For or Forwarded, got \"\(header.prefix(100))\"")
            }
            settings.trustedProxyHeader = value
        }
        settings.idleTimeoutSeconds =
            try reader.int("KAGIBAG_IDLE_TIMEOUT_SECONDS", in: 0...86_400) ?? settings.idleTimeoutSeconds
        settings.selfRollsPerHour =
            try reader.int("KAGIBAG_SELF_ROLLS_PER_HOUR", in: 0...1_000_000) ?? settings.selfRollsPerHour
        settings.failedCheckInsPerMinute =
            try reader.int("KAGIBAG_FAILED_CHECK_INS_PER_MINUTE", in: 0...1_000_000) ?? settings.failedCheckInsPerMinute
        settings.metricsToken = try reader.string("KAGIBAG_METRICS_TOKEN")
        settings.maxBodyBytes =
            try reader.int("KAGIBAG_MAX_BODY_BYTES", in: 1024...(64 * 1024 * 1024)) ?? settings.maxBodyBytes
        settings.credentialRevocationsPerMinute =
            try reader.int("KAGIBAG_CREDENTIAL_REVOCATIONS_PER_MINUTE", in: 0...1_000_000)
            ?? settings.credentialRevocationsPerMinute
        settings.secretScanningKeysFile = try reader.string("KAGIBAG_SECRET_SCANNING_KEYS")
        if let url = try reader.string("KAGIBAG_PUBLIC_URL") {
            guard let base = PublicURL.validated(url) else {
                throw SettingsError(
                    name: "KAGIBAG_PUBLIC_URL",
                    problem:
                        "must be an http:// or https:// address with a host and nothing after an optional path, like https://events.example.com, got \"\(url.prefix(200))\""
                )
            }
            settings.publicURL = base
        }
        return settings
    }
}

/// A setting that cannot be used; its description is the one line printed at start-up.
public struct SettingsError: Error, CustomStringConvertible, Sendable {
    public let name: String
    public let problem: String
    public var description: String { "kagibag: invalid setting \(name): \(problem)" }
}

private struct EnvironmentReader {
    let environment: [String: String]

    func string(_ name: String) throws(SettingsError) -> String? {
        guard let value = environment[name] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw SettingsError(name: name, problem: "is set but empty") }
        return trimmed
    }

    func int(_ name: String, in range: ClosedRange<Int>) throws(SettingsError) -> Int? {
        guard let text = try string(name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw SettingsError(
                name: name,
                problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\"")
        }
        return value
    }

    func double(_ name: String, in range: ClosedRange<Double>) throws(SettingsError) -> Double? {
        guard let text = try string(name) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw SettingsError(
                name: name, problem: "must be a number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\""
            )
        }
        return value
    }

    func bool(_ name: String) throws(SettingsError) -> Bool? {
        guard let text = try string(name) else { return nil }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw SettingsError(name: name, problem: "must be true or false, got \"\(text)\"")
        }
    }
}
