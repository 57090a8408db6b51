import Crypto
import Fluent
import Foundation
import Vapor

/// Browser sessions in the application database, so every instance sees the same sessions and
/// a logout on one ends the session everywhere.
///
/// Rows are keyed by the SHA-256 of the cookie value and expire after `lifetime`; each
/// request that touches a session slides its expiry forward.
///
/// A session is stored only once it holds something, which is at sign-in: Vapor also starts an
/// empty session for a cookie it cannot find (an expired or invented one), and storing those
/// would let anyone grow the table with cookieless or bogus-cookie page views. An empty session
/// gets `unsaved` as its id, and the cookie factory (`configure`) clears the cookie instead.
struct DatabaseSessionDriver: AsyncSessionDriver {
    /// The id of a session that was not stored.
    static let unsaved = SessionID(string: "")

    let lifetime: TimeInterval

    func createSession(_ data: SessionData, for request: Request) async throws -> SessionID {
        guard !data.snapshot.isEmpty else { return Self.unsaved }
        // 32 bytes from the system's cryptographic source, URL-safe so it fits in a cookie unchanged.
        let id = SessionID(string: Data([UInt8].random(count: 32)).base64URLEncodedString())
        let record = BrowserSession(
            tokenDigest: Self.digest(id),
            data: try Self.encode(data),
            expiresAt: Date().addingTimeInterval(lifetime)
        )
        request.application.metrics.query(.write, "session")
        try await record.create(on: request.db)
        return id
    }

    func readSession(_ sessionID: SessionID, for request: Request) async throws -> SessionData? {
        request.application.metrics.query(.read, "session")
        guard
            let record = try await BrowserSession.query(on: request.db)
                .filter(\.$tokenDigest == Self.digest(sessionID))
                .first()
        else { return nil }
        guard record.expiresAt > Date() else {
            try await record.delete(on: request.db)
            return nil
        }
        return try? JSONDecoder().decode(SessionData.self, from: Data(record.data.utf8))
    }

    func updateSession(_ sessionID: SessionID, to data: SessionData, for request: Request) async throws -> SessionID {
        request.application.metrics.query(.write, "session")
        try await BrowserSession.query(on: request.db)
            .filter(\.$tokenDigest == Self.digest(sessionID))
            .set(\.$data, to: try Self.encode(data))
            .set(\.$expiresAt, to: Date().addingTimeInterval(lifetime))
            .update()
        return sessionID
    }

    func deleteSession(_ sessionID: SessionID, for request: Request) async throws {
        request.application.metrics.query(.write, "session")
        try await BrowserSession.query(on: request.db)
            .filter(\.$tokenDigest == Self.digest(sessionID))
            .delete()
    }

    /// Deletes up to `limit` sessions whose expiry has passed; returns how many.
    static func purgeExpired(on database: any Database, limit: Int) async throws -> Int {
        let ids = try await BrowserSession.query(on: database).filter(\.$expiresAt < Date()).limit(limit).all(\.$id)
        guard !ids.isEmpty else { return 0 }
        try await BrowserSession.query(on: database).filter(\.$id ~~ ids).delete()
        return ids.count
    }

    /// Lower-case hex SHA-256 of the cookie value: what the row is keyed by.
    private static func digest(_ id: SessionID) -> String {
        SHA256.hash(data: Array(id.string.utf8)).hex
    }

    private static func encode(_ data: SessionData) throws -> String {
        String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
    }
}
