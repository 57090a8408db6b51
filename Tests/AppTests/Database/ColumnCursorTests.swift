import Fluent
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import App
@testable import KagibagSQL

/// Kagibag's own readers read the hot rows by position (`ColumnCursor`), matching the columns'
/// names once per statement; any other row (Fluent's) is read by name. Both must give the same
/// records, whatever order a statement selects the columns in.
@Suite("Rows read by position")
struct ColumnCursorTests {
    /// Kagibag's reader of the hot paths (SQLite's read connections; PostgreSQL's statements),
    /// and Fluent's own SQLKit view of the same database, whose rows are read by name.
    private func readers(_ app: Application) -> (positional: any SQLDatabase, byName: any SQLDatabase) {
        (app.services.reader ?? app.db.sql, app.db as! any SQLDatabase)
    }

    private func twoEvents(_ app: Application) async throws {
        let admin = Browser(app)
        try await admin.signUp(Browser.newAccount(team: "Zürich Events"))
        let team = try #require(try await Team.query(on: app.db).first()?.id)
        for (venue, capacity) in [(nil, 40), ("Halle 7", nil)] as [(String?, Int?)] {
            let draft = try EventDraft(
                name: "Café «Nacht» 🎉", description: String(repeating: "ü", count: 300),
                startsAt: Date(timeIntervalSince1970: 1_900_000_000.25),
                endsAt: Date(timeIntervalSince1970: 1_900_003_600),
                timezone: "Europe/Zurich", venue: venue, capacity: capacity, status: .published)
            _ = try await EventStore.create(
                team: team, draft, by: .named("test"), on: app.db, sqlite: app.services.writer)
        }
    }

    private func events(_ columns: String, on db: any SQLDatabase) async throws -> [any SQLRow] {
        try await db.raw("SELECT \(unsafeRaw: columns) FROM events ORDER BY id").all()
    }

    @Test("an event reads the same by position as by name, in the stores' column order, reversed, or as SELECT *")
    func sameAsByName() async throws {
        try await withKagibag { app in
            try await twoEvents(app)
            let team = try #require(try await Team.query(on: app.db).first()?.id)
            let (positional, byName) = readers(app)
            let names = EventRecord.columns.names.map { "\"\($0)\"" }
            for columns in [names.joined(separator: ", "), names.reversed().joined(separator: ", "), "*"] {
                let rows = try await events(columns, on: positional)
                for row in rows {
                    // Read by position indeed, not by name after a failed match.
                    let fast = try #require(row as? any PositionalRow)
                    #expect(fast.positions(of: EventRecord.columns) != nil, "SELECT \(columns)")
                }
                let read = try rows.map { try EventRecord($0) }
                // Each field against what was stored (a swapped pair in `columns` reads wrong on
                // both paths alike, so the paths' agreement alone would not show it).
                #expect(read.map(\.teamID) == [team, team])
                #expect(read.map(\.name) == ["Café «Nacht» 🎉", "Café «Nacht» 🎉"])
                #expect(read.allSatisfy { $0.description == String(repeating: "ü", count: 300) })
                #expect(read.allSatisfy { $0.startsAt == Date(timeIntervalSince1970: 1_900_000_000.25) })
                #expect(read.allSatisfy { $0.endsAt == Date(timeIntervalSince1970: 1_900_003_600) })
                #expect(read.allSatisfy { $0.timezone == "Europe/Zurich" && $0.status == .published })
                #expect(read.map(\.venue) == [nil, "Halle 7"])
                #expect(read.map(\.capacity) == [40, nil])
                #expect(read.allSatisfy { $0.activeAttendees == 0 && $0.version == 1 && $0.updatedAt == $0.createdAt })
                let named = try await events(columns, on: byName).map { try EventRecord($0) }
                #expect(read.map(\.id) == named.map(\.id))
                #expect(read.map(\.createdAt) == named.map(\.createdAt), "SELECT \(columns)")
            }
        }
    }

    @Test("a key's lookup reads the same by position as by name, and as the key's and team's rows hold it")
    func keyLookup() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Zürich Events"))
            _ = try await admin.createKey(
                named: "CRM sync",
                [
                    ("description", "Nightly sync"), ("expires_in_days", "30"), ("rate_limit_per_minute", "600"),
                    ("allowed_addresses", "10.0.0.0/8"),
                ])
            let key = try #require(try await APIKey.query(on: app.db).first())
            let team = try #require(try await Team.query(on: app.db).first())
            team.rateLimitPerMinute = 5000
            try await team.save(on: app.db)
            let secret = try #require(try await APIKeySecret.query(on: app.db).first())
            let (positional, byName) = readers(app)
            for db in [positional, byName] {
                let row = try #require(try await db.raw(VerifiedKey.lookup(digest: secret.digest)).first())
                let verified = try VerifiedKey(row)
                #expect(verified.id == key.id && verified.name == "CRM sync" && verified.lastFour == key.lastFour)
                #expect(verified.description == "Nightly sync")
                #expect(verified.createdAt == key.createdAt && verified.expiresAt == key.expiresAt)
                #expect(verified.createdAt != nil && verified.expiresAt != nil)
                #expect(verified.pausedAt == nil && verified.revokedAt == nil && verified.secretEndsAt == nil)
                #expect(verified.allowedAddresses == key.allowedAddresses && verified.allowedAddresses != nil)
                #expect(verified.mayRollItself == key.mayRollItself && !verified.eventsScoped && verified.window == nil)
                #expect(verified.secretID == secret.id && verified.teamID == team.id)
                #expect(verified.teamName == "Zürich Events" && verified.teamSlug == team.slug)
                #expect(verified.rateLimit == 600 && verified.teamRateLimit == 5000)
            }
        }
    }

    @Test("a row that names a column twice is read by name, as each database always read it")
    func twiceNamedColumnReadsByName() async throws {
        try await withKagibag { app in
            try await twoEvents(app)
            let (positional, _) = readers(app)
            let row = try #require(try await events("*, 'other' AS name", on: positional).first as? any PositionalRow)
            #expect(row.positions(of: EventRecord.columns) == nil)
            #expect(row.positions(of: ["id", "venue"]) != nil)
        }
    }

    @Test("a missing column or a null where none is allowed is an error by position as by name, never a crash")
    func errorsAsByName() async throws {
        try await withKagibag { app in
            try await twoEvents(app)
            let (positional, byName) = readers(app)
            let withNullName = EventRecord.columns.names.map { $0 == "name" ? "NULL AS name" : "\"\($0)\"" }
            for columns in ["id, name", withNullName.joined(separator: ", ")] {
                for db in [positional, byName] {
                    let rows = try await events(columns, on: db)
                    #expect(throws: (any Error).self, "SELECT \(columns)") { try EventRecord(rows[0]) }
                }
            }
        }
    }

    @Test("rows of one statement read with two column lists in turn each read their own columns")
    func twoListsOnOneStatement() async throws {
        try await withKagibag { app in
            try await twoEvents(app)
            let (positional, _) = readers(app)
            let nameThenID: ColumnList = ["name", "id"]
            for row in try await events("*", on: positional) {
                let record = try EventRecord(row)
                var cell = ColumnCursor(row, nameThenID)
                #expect(try cell.string() == record.name)
                #expect(try cell.uuid() == record.id)
                #expect(try EventRecord(row).id == record.id)
            }
        }
    }
}
