import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import App
@testable import KagibagSQL

/// The read-only SQLite connections of the hot paths (`Request.reads`). With PostgreSQL there
/// are none and the hot reads go through the pool, which every other suite covers.
@Suite("SQLite's read-only connections")
struct SQLiteReaderTests {
    @Test("an event reads back through the read-only connections exactly as through Fluent's pool")
    func sameRowsAsThePool() async throws {
        try await withKagibag { app in
            guard let reader = app.services.reader else { return #expect(testingOnPostgres) }
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Zürich Events"))
            let team = try #require(try await Team.query(on: app.db).first()?.id)
            func draft(venue: String?, capacity: Int?) throws -> EventDraft {
                try EventDraft(
                    name: "Café «Nacht» 🎉", description: String(repeating: "ü", count: 300),
                    startsAt: Date(timeIntervalSince1970: 1_900_000_000.25),
                    endsAt: Date(timeIntervalSince1970: 1_900_003_600),
                    timezone: "Europe/Zurich", venue: venue, capacity: capacity, status: .published)
            }
            _ = try await EventStore.create(
                team: team, try draft(venue: nil, capacity: 40), by: .named("test"), on: app.db,
                sqlite: app.services.writer)
            _ = try await EventStore.create(
                team: team, try draft(venue: "Halle 7", capacity: nil), by: .named("test"), on: app.db,
                sqlite: app.services.writer)

            let pooled = try await EventStore.list(team: team, limit: 10, on: app.db.sql)
            let read = try await EventStore.list(team: team, limit: 10, on: reader)
            #expect(read.count == 2)
            #expect(read.map(\.id) == pooled.map(\.id))
            #expect(read.map(\.name) == pooled.map(\.name))
            #expect(read.map(\.description) == pooled.map(\.description))
            #expect(read.map(\.venue) == [nil, "Halle 7"])
            #expect(read.map(\.capacity) == [40, nil])
            #expect(read.map(\.startsAt) == pooled.map(\.startsAt))
            #expect(read.map(\.updatedAt) == pooled.map(\.updatedAt))
        }
    }

    @Test("a key deleted through the pool is refused by the next request's read")
    func seesCommittedDeletes() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            // The same statement twice: the second run reuses the prepared statement.
            #expect(try await app.api("/api/v1/organizer/key", key: key).status == .ok)
            #expect(try await app.api("/api/v1/organizer/key", key: key).status == .ok)
            try await APIKey.query(on: app.db).delete()
            #expect(try await app.api("/api/v1/organizer/key", key: key).status == .unauthorized)
        }
    }

    @Test("the read-only connections cannot change the database")
    func cannotWrite() async throws {
        try await withKagibag { app in
            guard let reader = app.services.reader else { return #expect(testingOnPostgres) }
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            await #expect(throws: (any Error).self) { try await reader.raw("DELETE FROM teams").run() }
            #expect(try await Team.query(on: app.db).count() == 1)
        }
    }
}
