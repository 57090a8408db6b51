import Fluent
import PostgresKit
import SQLKit
import Vapor

extension Database {
    /// This database as SQLKit sees it, for the hand-written statements of the hot paths and the
    /// conditional updates. Both drivers Kagibag uses (SQLite, PostgreSQL) are SQL databases;
    /// this is the one place that says so.
    var sql: any SQLDatabase { self as! any SQLDatabase }
}

extension Request {
    /// Where the hot reads outside transactions go (the key check, the event lists): SQLite's
    /// read-only connections on the requesting thread, or PostgreSQL's pool with rows read by
    /// type (`PostgresReads`). Both see every transaction committed before the statement began.
    var reads: any SQLDatabase {
        if let reader = application.services.reader { return reader }
        if let postgres = db as? any PostgresDatabase { return PostgresReads(database: postgres, fallback: db.sql) }
        return db.sql
    }
}
