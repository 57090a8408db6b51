import Fluent
import KagibagSQL
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

    /// With SQLite, the writer that runs writes committing together in one hand-off
    /// (`Database.together`); nil on PostgreSQL, which needs none.
    var sqliteWriter: SQLiteWriter? { application.services.writer }
}
