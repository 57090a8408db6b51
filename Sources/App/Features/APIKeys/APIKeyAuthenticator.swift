import APIKeyCore
import Foundation
import Vapor

extension Request {
    /// The key this API request runs as; routes behind `APIKeyAuthenticator` always have one.
    func requireAPIKey() throws -> VerifiedKey {
        guard let key = state.apiKey else { throw BearerChallenge.missing }
        return key
    }
}

/// Authenticates `/api/v1` requests by `Authorization: Bearer KEY`.
///
/// Order of checks, cheapest first: header shape, key format and checksum (no I/O — a
/// mistyped or invented key never reaches the database), the client address's count of failed
/// checks (in memory), then one indexed query that reads the presented secret, its key's policy
/// and the team's current permissions. Nothing is cached between requests, so a deletion, a
/// pause, a narrower permission, a fence or the end of a grace period takes effect on the next
/// request on every instance.
struct APIKeyAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let metrics = request.application.metrics
        let token: String
        do {
            token = try Self.bearerToken(in: request.headers)
        } catch let challenge as BearerChallenge {
            metrics.auth(challenge.code == nil ? .missing : .malformed)
            throw challenge
        }
        guard let parsed = try? APIKeyToken(parsing: token) else {
            metrics.auth(.malformed)
            throw BearerChallenge.invalidKey
        }
        let limits = request.application.limits
        let address = request.clientAddress
        if let blocked = limits.keyFailures?.isBlocked(address) {
            metrics.auth(.addressLimited)
            throw APIError(
                status: .tooManyRequests,
                detail: "Too many requests with unknown, revoked, expired or paused keys came from this address. Retry after \(blocked.resetSeconds) seconds.",
                headers: ["Retry-After": String(blocked.resetSeconds)])
        }
        let verified = try await verify(parsed.digest, on: request, now: Date())
        guard verified.allows(address: address) else {
            metrics.auth(.fenced)
            throw APIError(
                status: .forbidden,
                detail: "This key may be used only from the client addresses its admins allowed, and this request came from \(address).")
        }
        request.state.apiKey = verified
        var headers: HTTPHeaders = [:]
        if let expiresAt = verified.expiresAt { headers.add(name: "Kagibag-Key-Expires", value: RFC3339.format(expiresAt)) }
        metrics.auth(.accepted)
        let lastUsed = request.application.lastUsed
        lastUsed.record(secret: verified.secretID, key: verified.id)
        if lastUsed.interval == 0 { try await lastUsed.flush(on: request.db) }
        if let limiter = limits.api {
            let decision = limiter.hit(verified.secretID.uuidString)
            headers.add(contentsOf: decision.headers)
            guard decision.allowed else {
                metrics.auth(.rateLimited)
                headers.replaceOrAdd(name: .retryAfter, value: String(decision.resetSeconds))
                throw APIError(
                    status: .tooManyRequests,
                    detail: "This key made more than \(decision.limit) requests in a minute. Retry after \(decision.resetSeconds) seconds.",
                    headers: headers)
            }
        }
        // Kept on the request too, so that error responses (rendered later) carry them as well.
        request.state.keyHeaders = headers
        let response = try await next.respond(to: request)
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    /// The key behind `digest`, or the 401 that says why there is none; each failure counts
    /// against the client address.
    private func verify(_ digest: String, on request: Request, now: Date) async throws -> VerifiedKey {
        let metrics = request.application.metrics
        func refuse(_ outcome: Metrics.AuthOutcome, _ challenge: BearerChallenge) -> BearerChallenge {
            metrics.auth(outcome)
            _ = request.application.limits.keyFailures?.hit(request.clientAddress)
            return challenge
        }
        metrics.query(.read, "auth")
        guard let verified = try await APIKeyStore.verify(digest: digest, on: request.db) else {
            // Only failures pay for telling "deleted" from "never existed", for the metrics.
            metrics.query(.read, "auth")
            let revoked = try await APIKeyStore.isRevoked(digest: digest, on: request.db)
            throw refuse(revoked ? .revoked : .unknown, .invalidKey)
        }
        if let ends = verified.secretEndsAt, ends <= now { throw refuse(.revoked, .rolled(endedAt: ends)) }
        if verified.pausedAt != nil { throw refuse(.paused, .paused) }
        if let expiresAt = verified.expiresAt, expiresAt <= now { throw refuse(.expired, .expired) }
        return verified
    }

    /// The token of the single `Authorization: Bearer …` header (scheme case-insensitive).
    static func bearerToken(in headers: HTTPHeaders) throws -> String {
        let values = headers[.authorization]
        guard !values.isEmpty else { throw BearerChallenge.missing }
        guard values.count == 1 else { throw BearerChallenge.malformedHeader }
        // Surrounding whitespace is not part of a field value (RFC 9110 §5.5).
        let value = values[0].trimmingCharacters(in: CharacterSet(charactersIn: " \t"))
        guard let space = value.firstIndex(of: " ") else {
            // "Bearer" alone is a malformed bearer header; any other lone word is another scheme.
            if value.lowercased() == "bearer" { throw BearerChallenge.malformedHeader }
            throw BearerChallenge.missing
        }
        guard value[..<space].lowercased() == "bearer" else { throw BearerChallenge.missing }
        let token = value[value.index(after: space)...]
        guard !token.isEmpty, !token.contains(where: { $0 == " " || $0 == "\t" || $0 == "," }) else {
            throw BearerChallenge.malformedHeader
        }
        return String(token)
    }
}

/// Lets a request through only if the key may use `permission` now: the key's own choice
/// within its team's current permissions. The 403 says which of the two lacks it.
struct RequirePermission: AsyncMiddleware {
    let permission: Permission

    init(_ permission: Permission) {
        self.permission = permission
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let key = try request.requireAPIKey()
        guard key.permissions.contains(permission) else {
            request.application.metrics.auth(.forbidden)
            throw BearerChallenge.insufficient(permission, teamHolds: key.teamPermissions.contains(permission))
        }
        return try await next.respond(to: request)
    }
}
