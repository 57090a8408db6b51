import Fluent
import KagibagSQL
import Foundation
import SQLKit
import Testing
import Vapor

@testable import App

/// `Database.together`: a change and its Activity entry commit together or not at all, on every
/// path (PostgreSQL's one statement, SQLite's writer, inside an outer transaction).
@Suite("Writes that commit together")
struct TogetherTests {
    private static func count(_ table: String, _ app: Application) async throws -> Int {
        try await app.db.sql.raw("SELECT COUNT(*) AS n FROM \(ident: table)").first()?.decode(column: "n", as: Int.self)
            ?? -1
    }

    private static func statements(team: UUID, failing: Bool) -> [any SQLExpression] {
        let id = UUID.v7()
        let insert: SQLQueryString =
            "INSERT INTO audit_events (id, team_id, actor, action, summary, created_at) VALUES (\(bind: id), \(bind: team), 'test', 'event.created', 'first', \(bind: Date()))"
        // The same id again fails on the primary key; a fresh one succeeds.
        let second: SQLQueryString =
            "INSERT INTO audit_events (id, team_id, actor, action, summary, created_at) VALUES (\(bind: failing ? id : UUID.v7()), \(bind: team), 'test', 'event.created', 'second', \(bind: Date()))"
        return [insert, second]
    }

    enum Probe: PreparedStatementName { static let preparedName = "test_together" }
    enum FailingProbe: PreparedStatementName { static let preparedName = "test_together_failing" }

    @Test("both writes commit, or neither when one fails, alone and inside a transaction")
    func allOrNothing() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let team = try #require(try await Team.query(on: app.db).first()?.id)
            let before = try await Self.count("audit_events", app)
            let writer = app.services.writer
            try await app.db.together(
                Self.statements(team: team, failing: false), preparedAs: Probe.self, sqlite: writer)
            #expect(try await Self.count("audit_events", app) == before + 2)
            await #expect(throws: (any Error).self) {
                try await app.db.together(
                    Self.statements(team: team, failing: true), preparedAs: FailingProbe.self, sqlite: writer)
            }
            #expect(try await Self.count("audit_events", app) == before + 2)
            // Inside an outer transaction that fails later, nothing of them stays either.
            await #expect(throws: (any Error).self) {
                try await app.db.transaction { db in
                    try await db.together(
                        Self.statements(team: team, failing: false), preparedAs: Probe.self, sqlite: writer)
                    throw Abort(.conflict)
                }
            }
            #expect(try await Self.count("audit_events", app) == before + 2)
            // The writer's connection and Fluent's take turns: many at once, all written.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await app.db.together(
                            Self.statements(team: team, failing: false), preparedAs: Probe.self, sqlite: writer)
                    }
                    group.addTask { _ = try await Team.query(on: app.db).count() }
                }
                try await group.waitForAll()
            }
            #expect(try await Self.count("audit_events", app) == before + 42)
        }
    }

    @Test("on SQLite, writes arriving together share one commit; one that fails is rolled back alone")
    func groupCommit() async throws {
        try await withKagibag { app in
            guard let writer = app.services.writer else { return }  // PostgreSQL: one statement each
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let team = try #require(try await Team.query(on: app.db).first()?.id)
            let before = try await Self.count("audit_events", app)
            let start = writer.grouping
            // Fluent's connection held: the first writer waits for it, and the rest queue behind.
            let outcomes = try await app.db.withConnection { _ in
                let tasks = (0..<30).map { index in
                    Task {
                        do {
                            try await app.db.together(
                                Self.statements(team: team, failing: index == 7), preparedAs: Probe.self,
                                sqlite: writer)
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                try await Task.sleep(for: .milliseconds(300))
                return tasks
            }
            var succeeded: [Bool] = []
            for task in outcomes { succeeded.append(await task.value) }
            #expect(succeeded == (0..<30).map { $0 != 7 })
            #expect(try await Self.count("audit_events", app) == before + 58)
            let grouping = writer.grouping
            #expect(grouping.transactions - start.transactions == 30)
            #expect(grouping.commits - start.commits < 30)
            #expect(grouping.largest > 1)
        }
    }
}
