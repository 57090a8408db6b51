import Foundation
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// PostgreSQL's hot reads (the key check, the event lists): Fluent's pool and connections, with
/// binds and rows converted by type instead of through `Decodable`.
///
/// PostgresKit decodes every cell of an SQLKit row through `Decodable` with a coding path and a
/// dynamic cast per value: profiled on the 25-event list, that was 23 % of the server's CPU. The
/// types the hot rows hold (text, uuid, timestamptz, integers, booleans) are read straight from
/// the cell here; anything else falls back to PostgresKit's own decoding, with the same results.
struct PostgresReads: SQLDatabase {
    let database: any PostgresDatabase
    /// Fluent's SQLKit view of the same database, for statements with binds of other types.
    let fallback: any SQLDatabase

    var logger: Logger { database.logger }
    var eventLoop: any EventLoop { database.eventLoop }
    var version: (any SQLDatabaseReportedVersion)? { nil }
    var dialect: any SQLDialect { PostgresDialect() }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) -> EventLoopFuture<Void> {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        guard let bindings = try Self.bindings(binds) else { return try await fallback.execute(sql: query, onRow) }
        _ = try await database.withConnection { connection in
            connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: connection.logger) { onRow(Row($0)) }
        }.get()
    }

    /// The binds in PostgreSQL's binary format, or nil if one is of a type this does not know.
    private static func bindings(_ binds: [any Encodable & Sendable]) throws -> PostgresBindings? {
        var bindings = PostgresBindings(capacity: binds.count)
        for bind in binds {
            switch bind {
            case let value as String: try bindings.append(value)
            case let value as UUID: try bindings.append(value)
            case let value as Date: try bindings.append(value)
            case let value as Int: try bindings.append(value)
            case let value as Bool: try bindings.append(value)
            default: return nil
            }
        }
        return bindings
    }

    private struct Row: SQLRow {
        let row: PostgresRandomAccessRow
        let original: PostgresRow

        init(_ row: PostgresRow) {
            self.row = row.makeRandomAccess()
            original = row
        }

        var allColumns: [String] { original.map(\.columnName) }
        func contains(column: String) -> Bool { row.contains(column) }
        func decodeNil(column: String) throws -> Bool { !row.contains(column) || row[column].bytes == nil }

        func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
            guard row.contains(column) else { return try original.sql().decode(column: column, as: type) }
            let cell = row[column]
            guard let (kind, optional) = ColumnType.of(type) else { return try original.sql().decode(column: column, as: type) }
            switch kind {
            case .string: return try decode(cell, String.self, optional, as: type)
            case .uuid: return try decode(cell, UUID.self, optional, as: type)
            case .date: return try decode(cell, Date.self, optional, as: type)
            case .int: return try decode(cell, Int.self, optional, as: type)
            case .bool: return try decode(cell, Bool.self, optional, as: type)
            }
        }

        private func decode<T: PostgresDecodable, D>(_ cell: PostgresCell, _ value: T.Type, _ optional: Bool, as type: D.Type) throws -> D {
            let decoded: T? = optional && cell.bytes == nil ? nil : try cell.decode(T.self)
            return ColumnType.cast(decoded, optional: optional, to: type)!
        }
    }
}
