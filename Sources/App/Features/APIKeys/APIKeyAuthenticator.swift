import APIKeyCore
import Foundation
import Fluent
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
/// mistyped or invented key never reaches the database), then one indexed query that reads the
/// key together with its team's current permissions. Nothing is cached between requests, so a
/// deleted key or a revoked permission takes effect on the next request on every instance.
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
        let key: APIKeyToken
        do {
            key = try APIKeyToken(parsing: token)
        } catch {
            metrics.auth(.malformed)
            throw BearerChallenge.invalidKey
        }
        let digest = key.digest
        metrics.query(.read, "auth")
        guard let verified = try await APIKeyStore.verify(digest: digest, on: request.db) else {
            // Only failures pay for telling "deleted" from "never existed", for the metrics.
            metrics.query(.read, "auth")
            let revoked = try await APIKeyStore.isRevoked(digest: digest, on: request.db)
            metrics.auth(revoked ? .revoked : .unknown)
            throw BearerChallenge.invalidKey
        }
        if let expiresAt = verified.expiresAt, expiresAt <= Date() {
            metrics.auth(.expired)
            throw BearerChallenge.expired
        }
        request.state.apiKey = verified
        metrics.auth(.accepted)
        let lastUsed = request.application.lastUsed
        lastUsed.record(verified.id)
        if lastUsed.interval == 0 { try await lastUsed.flush(on: request.db) }
        guard let limiter = request.application.limits.api else { return try await next.respond(to: request) }
        let decision = limiter.hit(digest)
        guard decision.allowed else {
            metrics.auth(.rateLimited)
            var headers = decision.headers
            headers.replaceOrAdd(name: .retryAfter, value: String(decision.resetSeconds))
            throw APIError(
                status: .tooManyRequests,
                detail: "This key made more than \(decision.limit) requests in a minute. Retry after \(decision.resetSeconds) seconds.",
                headers: headers)
        }
        // Kept on the request too, so that error responses (rendered later) carry them as well.
        request.state.rateLimitHeaders = decision.headers
        let response = try await next.respond(to: request)
        for (name, value) in decision.headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
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

/// Lets a request through only if the key's team currently holds `permission`.
struct RequirePermission: AsyncMiddleware {
    let permission: Permission

    init(_ permission: Permission) {
        self.permission = permission
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let key = try request.requireAPIKey()
        guard key.permissions.contains(permission) else {
            request.application.metrics.auth(.forbidden)
            throw BearerChallenge.insufficient(permission)
        }
        return try await next.respond(to: request)
    }
}
