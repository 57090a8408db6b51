import APIKeyCore
import Fluent
import Vapor

/// The key and team behind an API request, as read from the database for this very request.
struct AuthenticatedKey: Sendable {
    let keyID: UUID
    let keyName: String
    let lastFour: String
    let createdAt: Date?
    let teamID: UUID
    let teamName: String
    let teamSlug: String
    let permissions: Set<Permission>
}

extension Request {
    private struct AuthenticatedKeyKey: StorageKey { typealias Value = AuthenticatedKey }

    var apiKey: AuthenticatedKey? {
        get { storage[AuthenticatedKeyKey.self] }
        set { storage[AuthenticatedKeyKey.self] = newValue }
    }

    func requireAPIKey() throws -> AuthenticatedKey {
        guard let apiKey else { throw BearerChallenge.missing }
        return apiKey
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
        let token = try Self.bearerToken(in: request.headers)
        let key: APIKeyToken
        do {
            key = try APIKeyToken(parsing: token)
        } catch {
            throw BearerChallenge.invalidKey
        }
        guard let record = try await APIKey.query(on: request.db)
            .filter(\.$digest == key.digest)
            .join(Team.self, on: \APIKey.$team.$id == \Team.$id)
            .first()
        else { throw BearerChallenge.invalidKey }
        let team = try record.joined(Team.self)
        request.apiKey = AuthenticatedKey(
            keyID: record.id!, keyName: record.name, lastFour: record.lastFour, createdAt: record.createdAt,
            teamID: team.id!, teamName: team.name, teamSlug: team.slug, permissions: team.permissions
        )
        if request.application.lastUsed.interval == 0 {
            request.application.lastUsed.record(record.id!)
            try await request.application.lastUsed.flush(on: request.db)
        } else {
            request.application.lastUsed.record(record.id!)
        }
        return try await next.respond(to: request)
    }

    /// The token of the single `Authorization: Bearer …` header (scheme case-insensitive).
    static func bearerToken(in headers: HTTPHeaders) throws -> String {
        let values = headers[.authorization]
        guard !values.isEmpty else { throw BearerChallenge.missing }
        guard values.count == 1 else { throw BearerChallenge.malformedHeader }
        let value = values[0]
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
        guard key.permissions.contains(permission) else { throw BearerChallenge.insufficient(permission) }
        return try await next.respond(to: request)
    }
}
