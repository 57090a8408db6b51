import Foundation
import PostgresNIO
import SQLKit
import Testing
import VaporTesting

@testable import App
@testable import KagibagSQL

/// PostgreSQL's prepared statements (`FixedPlan`): one named statement per hot statement, its
/// text taken from its first run, and never a plan run with a text it was not made for.
@Suite("Prepared statements on PostgreSQL")
struct PreparedStatementTests {
    enum First: PreparedStatementName { static let preparedName = "kagibag_test_first" }
    enum SameName: PreparedStatementName { static let preparedName = "kagibag_test_first" }
    enum Other: PreparedStatementName { static let preparedName = "kagibag_test_other" }

    @Test(
        "a name keeps the text and bind types of its first run; another text, other types or a second type with that name run unprepared"
    )
    func namesKeepTheirText() {
        let select = "SELECT $1::text AS x"
        #expect(PreparedTexts.matches(First.self, sql: select, types: [.text]))
        #expect(PreparedTexts.matches(First.self, sql: select, types: [.text]))
        #expect(!PreparedTexts.matches(First.self, sql: "SELECT $1::text AS y", types: [.text]))
        #expect(!PreparedTexts.matches(First.self, sql: select, types: [.int8]))
        #expect(!PreparedTexts.matches(SameName.self, sql: select, types: [.text]))
        #expect(PreparedTexts.matches(Other.self, sql: "SELECT 1", types: []))
        #expect(PreparedTexts.entry(First.self) == .init(sql: select, types: [.text]))
    }

    @Test("the key check and an event's insert run as the statements named for them")
    func hotStatementsArePrepared() async throws {
        try await withKagibag { app in
            guard testingOnPostgres else { return }
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "door")
            for _ in 0..<3 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            let created = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
            #expect(created.status == .created)
            #expect(PreparedTexts.entry(VerifiedKey.LookupStatement.self).types == [.text])
            // The event, its Activity entry and its webhook messages: one statement, one round trip.
            let create = PreparedTexts.entry(EventRecord.CreateStatement.self).sql
            #expect(create.hasPrefix("WITH w0 AS (INSERT INTO \"events\""))
            #expect(create.contains(", w1 AS (INSERT INTO audit_events"))
            #expect(create.contains(") INSERT INTO webhook_messages"))
            // PostgreSQL holds prepared statements per connection, and this query may get a connection that ran
            // neither: the PreparedTexts checks above carry the test; this one proves that nothing else is
            // prepared under our prefix (a statement prepared under a wrong or per-call name would show here).
            let names = try await (app.db as! any SQLDatabase).raw(
                "SELECT name FROM pg_prepared_statements WHERE name LIKE 'kagibag_%'"
            ).all().map { try $0.decode(column: "name", as: String.self) }
            #expect(
                Set(names).isSubset(of: [
                    "kagibag_key_lookup", "kagibag_event_create", "kagibag_check_in", "kagibag_check_in_scoped",
                    "kagibag_audit_insert",
                ]))
        }
    }
}
