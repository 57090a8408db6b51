import Vapor

/// The application's rate limiters and the proxies it trusts for client addresses.
struct Limits: Sendable {
    let api: RateLimiter?
    let loginPerAccount: RateLimiter
    let loginPerAddress: RateLimiter
    let trustedProxies: Set<String>
}

extension Application {
    private struct LimitsKey: StorageKey { typealias Value = Limits }

    var limits: Limits {
        get {
            guard let limits = storage[LimitsKey.self] else { fatalError("Limits not configured") }
            return limits
        }
        set { storage[LimitsKey.self] = newValue }
    }
}

extension Request {
    var clientAddress: String { ClientAddress.of(self, trustedProxies: application.limits.trustedProxies) }
}

extension RateLimiter.Decision {
    /// The IETF draft's headers, on every API response and on the 429.
    var headers: HTTPHeaders {
        ["RateLimit-Limit": String(limit), "RateLimit-Remaining": String(remaining), "RateLimit-Reset": String(resetSeconds)]
    }
}
