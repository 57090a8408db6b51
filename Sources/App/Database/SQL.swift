import Fluent
import SQLKit

extension Database {
    /// This database as SQLKit sees it, for the hand-written statements of the hot paths and the
    /// conditional updates. Both drivers Kagibag uses (SQLite, PostgreSQL) are SQL databases;
    /// this is the one place that says so.
    var sql: any SQLDatabase { self as! any SQLDatabase }
}
