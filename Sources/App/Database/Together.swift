import Fluent
import KagibagSQL
import PostgresKit
import SQLKit

extension Database {
    /// Runs `statements` so that they commit together or not at all (a change and its Activity
    /// entry), in as few round trips as the database allows: inside a transaction, one after
    /// another in it; on PostgreSQL as one statement (`WITH w0 AS (…), w1 AS (…) last`: every
    /// data-modifying statement in a `WITH` runs, once, whether or not anything reads it),
    /// prepared once per connection as `name`; on SQLite as one hand-off to `sqlite`'s thread
    /// while Fluent's connection is held, sharing its commit with the others waiting then. The
    /// statements must not depend on each other's effects.
    func together(
        _ statements: [any SQLExpression], preparedAs name: any PreparedStatementName.Type, sqlite: SQLiteWriter?
    ) async throws {
        if inTransaction {
            for statement in statements { try await sql.execute(sql: statement) { _ in } }
        } else if self is any PostgresDatabase {
            try await sql.execute(sql: FixedPlan(AllInOne(statements: statements), preparedAs: name)) { _ in }
        } else if let sqlite {
            try await sqlite.transaction(
                { writes in for statement in statements { try writes.run(statement) } },
                exclusively: { commit in try await withConnection { _ in try await commit() } })
        } else {
            try await transaction { db in
                for statement in statements { try await db.sql.execute(sql: statement) { _ in } }
            }
        }
    }
}

/// `WITH w0 AS (s0), w1 AS (s1) … sN`: PostgreSQL's one statement of several writes.
private struct AllInOne: SQLExpression {
    let statements: [any SQLExpression]

    func serialize(to serializer: inout SQLSerializer) {
        for (index, statement) in statements.dropLast().enumerated() {
            serializer.write(index == 0 ? "WITH " : ", ")
            serializer.write("w\(index) AS (")
            statement.serialize(to: &serializer)
            serializer.write(")")
        }
        if statements.count > 1 { serializer.write(" ") }
        statements.last?.serialize(to: &serializer)
    }
}
