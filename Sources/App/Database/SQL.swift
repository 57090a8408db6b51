import Fluent
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
    /// read-only connections on the requesting thread, or PostgreSQL's pool. Both see every
    /// transaction committed before the statement began.
    var reads: any SQLDatabase { application.services.reader ?? db.sql }
}
