import Crypto
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Safe retries for POST, as Stripe does them: the first response to a given `Idempotency-Key`
/// is remembered for 24 hours and replayed for a retry of the same request; the same key with a
/// different request is refused with 422.
enum Idempotency {
    static let header = "Idempotency-Key"
    static let lifetime: TimeInterval = 24 * 3600

    /// What is kept of a response for replay.
    typealias Remembered = @Sendable (Response) -> (status: HTTPResponseStatus, body: String)

    /// Runs `operation` at most once per key. The key's row, the operation's writes and the
    /// stored response commit in one transaction: a crash between them leaves nothing behind,
    /// so a retry simply runs again; a concurrent retry waits on the row's unique index and then
    /// replays the committed response. `remembering` replaces what is stored for a response
    /// that must not be kept (one holding a new secret).
    ///
    /// Records are per team; with `scope` (the calling API key, for routes that act on the key
    /// itself) per key within it, so that one key's Idempotency-Key never meets another's.
    static func run(
        _ req: Request, teamID: UUID, scope: UUID? = nil, remembering: Remembered? = nil,
        _ operation: @escaping @Sendable (any Database) async throws -> Response
    ) async throws -> Response {
        guard let presented = req.headers.first(name: header) else { return try await operation(req.db) }
        guard isWellFormed(presented) else {
            throw APIError.badRequest("Idempotency-Key must be 1 to 255 visible ASCII characters.", field: header)
        }
        // A space cannot occur in a presented key, so a scoped record never equals an unscoped one.
        let key = scope.map { "\($0.uuidString.lowercased()) \(presented)" } ?? presented
        let fingerprint = Self.fingerprint(req)
        let claimed = NIOLockedValueBox(false)
        do {
            return try await req.db.transaction { db in
                let record = IdempotencyRecord(teamID: teamID, key: key, fingerprint: fingerprint)
                try await record.create(on: db)
                claimed.withLockedValue { $0 = true }
                let response = try await operation(db)
                let kept = remembering?(response) ?? (status: response.status, body: response.body.string ?? "")
                record.status = Int(kept.status.code)
                record.body = kept.body
                record.location = response.headers.first(name: .location)
                try await record.save(on: db)
                return response
            }
        } catch let error as any DatabaseError where error.isConstraintFailure && !claimed.withLockedValue({ $0 }) {
            return try await replay(
                req, teamID: teamID, scope: scope, key: key, fingerprint: fingerprint, remembering: remembering,
                retrying: operation)
        }
    }

    private static func replay(
        _ req: Request, teamID: UUID, scope: UUID?, key: String, fingerprint: String, remembering: Remembered?,
        retrying operation: @escaping @Sendable (any Database) async throws -> Response
    ) async throws -> Response {
        guard
            let existing = try await IdempotencyRecord.query(on: req.db)
                .filter(\.$teamID == teamID).filter(\.$key == key).first()
        else {
            // The first attempt failed and released the key in the meantime.
            return try await run(req, teamID: teamID, scope: scope, remembering: remembering, operation)
        }
        if let created = existing.createdAt, created < Date().addingTimeInterval(-lifetime) {
            try await existing.delete(on: req.db)
            return try await run(req, teamID: teamID, scope: scope, remembering: remembering, operation)
        }
        guard existing.fingerprint == fingerprint else {
            throw APIError(
                status: .unprocessableEntity,
                detail:
                    "This Idempotency-Key was already used for a different request. Use a new key for a new request.",
                problems: [FieldProblem(field: header, message: "already used for a different request")])
        }
        let response = Response(status: HTTPResponseStatus(statusCode: existing.status))
        response.headers.contentType = existing.status >= 400 ? ProblemDetails.contentType : .json
        if let location = existing.location { response.headers.replaceOrAdd(name: .location, value: location) }
        response.headers.replaceOrAdd(name: "Idempotent-Replayed", value: "true")
        // A stored problem names the first request's id; the replay's body names this one's, as
        // its Request-Id header does (an integrator quotes what their own log has).
        var body = existing.body
        if existing.status >= 400, let id = req.requestID { body = ProblemDetails.naming(id, in: body) }
        response.body = .init(string: body)
        return response
    }

    /// 1 to 255 visible ASCII characters (no spaces, no controls).
    static func isWellFormed(_ key: String) -> Bool {
        (1...255).contains(key.utf8.count) && key.utf8.allSatisfy { $0 >= 0x21 && $0 <= 0x7E }
    }

    private static func fingerprint(_ req: Request) -> String {
        var hasher = SHA256()
        hasher.update(data: Array("\(req.method.rawValue) \(req.url.path)\n".utf8))
        if let body = req.body.data { hasher.update(data: Array(body.readableBytesView)) }
        return hasher.finalize().hex
    }

    /// Forgets up to `limit` keys older than the lifetime; returns how many.
    static func purgeExpired(on database: any Database, limit: Int) async throws -> Int {
        let ids = try await IdempotencyRecord.query(on: database)
            .filter(\.$createdAt < Date().addingTimeInterval(-lifetime)).limit(limit).all(\.$id)
        guard !ids.isEmpty else { return 0 }
        try await IdempotencyRecord.query(on: database).filter(\.$id ~~ ids).delete()
        return ids.count
    }
}
