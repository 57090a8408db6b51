import Fluent
import Foundation
import SQLKit
import Vapor

/// Budgets kept in the database (`rate_budgets`, a row per budget), shared by every instance on
/// PostgreSQL. One statement takes a slice; the row's lock orders instances asking at once, and
/// the database's clock decides when a window begins and ends, so that instances whose clocks
/// differ still agree on it.
struct SQLBudgetStore: BudgetStore {
    let database: @Sendable () -> any Database

    /// The grant, written as `BudgetGrant.amount` says with `left` = limit − taken: at most
    /// `want`, at most what is left, at most half of it rounded up; none when nothing is left
    /// (or the limit was lowered below what is taken). A window that has ended starts again.
    func lease(scope: String, want: Int, limit: Int, windowMilliseconds: Int64) async throws -> BudgetLease {
        let now: SQLQueryString = "CAST(FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000) AS BIGINT)"
        let grantLeft: SQLQueryString =
            "GREATEST(0, LEAST(\(bind: want), \(bind: limit) - b.taken, GREATEST(1, (\(bind: limit) - b.taken + 1) / 2)))"
        let ended: SQLQueryString = "b.window_started_ms + \(bind: windowMilliseconds) <= EXCLUDED.window_started_ms"
        let first = BudgetGrant.amount(want: want, left: limit)
        let statement: SQLQueryString =
            """
            INSERT INTO rate_budgets AS b (scope, window_started_ms, taken, granted)
            VALUES (\(bind: scope), 
            """ + now + ", \(bind: first), \(bind: first))\n"
            + "ON CONFLICT (scope) DO UPDATE SET\n"
            + "  window_started_ms = CASE WHEN " + ended
            + " THEN EXCLUDED.window_started_ms ELSE b.window_started_ms END,\n"
            + "  granted = CASE WHEN " + ended + " THEN EXCLUDED.granted ELSE " + grantLeft + " END,\n"
            + "  taken = CASE WHEN " + ended + " THEN EXCLUDED.taken ELSE b.taken + " + grantLeft + " END\n"
            + "RETURNING granted, taken, window_started_ms, window_started_ms + \(bind: windowMilliseconds) - "
            + now + " AS ends_in_ms"
        guard let row = try await database().sql.raw(statement).first() else {
            throw Abort(.internalServerError, reason: "the budget lease returned no row")
        }
        let taken = try row.decode(column: "taken", as: Int.self)
        return BudgetLease(
            granted: try row.decode(column: "granted", as: Int.self), left: limit - taken,
            window: try row.decode(column: "window_started_ms", as: Int64.self),
            endsInMilliseconds: try row.decode(column: "ends_in_ms", as: Int64.self))
    }

    func giveBack(scope: String, count: Int, window: Int64) async throws {
        try await database().sql.raw(
            """
            UPDATE rate_budgets SET taken = GREATEST(0, taken - \(bind: count))
            WHERE scope = \(bind: scope) AND window_started_ms = \(bind: window)
            """
        ).run()
    }

    /// Budgets whose window ended more than an hour ago (a housekeeping job); the next lease
    /// would start a new window anyway.
    static func prune(now: Date = Date(), on db: any Database, limit: Int) async throws -> Int {
        let cutoff = Int64((now.timeIntervalSince1970 - 3600) * 1000)
        return try await db.sql.raw(
            """
            DELETE FROM rate_budgets WHERE scope IN
              (SELECT scope FROM rate_budgets WHERE window_started_ms < \(bind: cutoff) LIMIT \(bind: limit))
            RETURNING scope
            """
        ).all().count
    }
}
