import SQLKit
import Vapor

@testable import App

/// The events table as the store reads it (there is no Fluent model for events: `EventRecord`
/// is their one shape), for tests that check what was stored.
enum StoredEvents {
    static func all(_ app: Application) async throws -> [EventRecord] {
        try await app.db.sql.raw("SELECT * FROM events ORDER BY id").all().map { try EventRecord($0) }
    }

    static func count(_ app: Application) async throws -> Int {
        try await all(app).count
    }
}
