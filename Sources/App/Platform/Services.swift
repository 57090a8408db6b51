import KagibagSQL
import APIKeyCore
import Vapor

/// The application's long-lived shared services of the platform, built once by `configure` and
/// kept under a single storage key (tests build many applications side by side, each with its own).
struct AppServices: Sendable {
    let settings: Settings
    let metrics: Metrics
    let limits: Limits
    /// With SQLite: read-only connections for the hot reads (see `Request.reads`).
    let reader: SQLiteReader?
    /// With SQLite: the writer for writes that commit together (see `Database.together`).
    let writer: SQLiteWriter?
}

/// A service a feature owns, kept in the application's storage under a key of its own, so that
/// Platform (which holds `AppServices`) needs to know no feature. `configure` sets each.
struct FeatureService<Value: Sendable>: StorageKey {
    typealias Value = Value
}

/// The rate limiters, and the proxies trusted to name the client's address.
struct Limits: Sendable {
    /// Keys' and teams' request budgets (nil: off, `KAGIBAG_API_RATE_LIMIT=0`).
    let api: RequestBudgets?
    /// Failed key checks that cost a lookup (unknown, revoked, expired, paused), per client address.
    let keyFailures: RateLimiter?
    let loginPerAccount: RateLimiter
    let loginPerAddress: RateLimiter
    /// Requests to the public credential-revocation endpoint, per client address.
    let credentialRevocations: RateLimiter?
    let signupPerAddress: RateLimiter
    /// Self-rolls per key (all its secrets together), per hour.
    let selfRolls: RateLimiter?
    /// Check-ins with unknown or malformed ticket codes, per key, per minute.
    let failedCheckIns: RateLimiter?
    /// Unauthenticated report bodies being read at once (GitHub's secret scanning).
    let reportUploads: UploadGate
    let trustedProxies: [AddressRange]
    let proxyHeader: ClientAddressChain.Header
}

extension Application {
    private struct ServicesKey: StorageKey { typealias Value = AppServices }

    var services: AppServices {
        get {
            guard let services = storage[ServicesKey.self] else { fatalError("configure(_:settings:) has not run") }
            return services
        }
        set { storage[ServicesKey.self] = newValue }
    }

    var metrics: Metrics { services.metrics }
    var limits: Limits { services.limits }
}

extension Application {
    /// The feature service of type `T` that `configure` stored.
    func feature<T: Sendable>(_ type: T.Type) -> T {
        guard let service = storage[FeatureService<T>.self] else {
            fatalError("configure(_:settings:) has not set \(T.self)")
        }
        return service
    }
}
