import Fluent
import NIOConcurrencyHelpers
import PostgresKit
import SQLKit
import Vapor

extension Database {
    /// This database as SQLKit sees it, for the hand-written statements of the hot paths and the
    /// conditional updates. Both drivers Kagibag uses (SQLite, PostgreSQL) are SQL databases;
    /// this is the one place that says so. On PostgreSQL, through `PostgresStatements` (binds
    /// and rows by type); inside a transaction that is still the transaction's connection.
    var sql: any SQLDatabase {
        let sql = self as! any SQLDatabase
        guard let postgres = self as? any PostgresDatabase else { return sql }
        return PostgresStatements(database: postgres, fallback: sql)
    }
}

extension Request {
    /// Where the hot reads outside transactions go (the key check, the event lists): SQLite's
    /// read-only connections on the requesting thread, or PostgreSQL's pool with rows read by
    /// type (`PostgresStatements`). Both see every transaction committed before the statement began.
    var reads: any SQLDatabase {
        application.services.reader ?? db.sql
    }
}

/// A statement whose best plan does not depend on its binds, because every table in it is
/// reached by a unique key (the key check), or there is nothing to plan (an insert of one row).
/// PostgreSQL may then plan it once per connection and reuse the plan
/// (`PostgresPreparedStatements`): for the key check that is 14k instead of 5k runs a second on
/// one connection (pgbench). Every other statement is planned for its binds each time: a plan
/// made once for "this team's events" fits the average team as the table was when it was made.
/// Measured: with a plan made at 25 events, a page of a team of 30,000 took 4.4 ms (it sorted
/// them all); planned for its binds, 0.02 ms.
struct FixedPlan: SQLExpression {
    let statement: any SQLExpression

    init(_ statement: any SQLExpression) {
        self.statement = statement
    }

    func serialize(to serializer: inout SQLSerializer) {
        statement.serialize(to: &serializer)
    }
}

extension SQLDatabase {
    /// The first row `statement` returns, if any.
    func first(_ statement: FixedPlan) async throws -> (any SQLRow)? {
        let first = NIOLockedValueBox<(any SQLRow)?>(nil)
        try await execute(sql: statement) { row in first.withLockedValue { if $0 == nil { $0 = row } } }
        return first.withLockedValue { $0 }
    }
}
