import Foundation
import Logging
import NIOCore
import PostgresKit
import PostgresNIO
import SQLKit

/// Kagibag's own SQL on PostgreSQL (the hot reads, and every `Database.sql` statement): Fluent's
/// pool and connections, or the transaction's connection, with binds and rows converted by type
/// instead of through `Decodable`, and `FixedPlan` statements kept prepared on each connection
/// (`PreparedRun`).
///
/// PostgresKit decodes every cell of an SQLKit row through `Decodable` with a coding path and a
/// dynamic cast per value: profiled on the 25-event list, that was 23 % of the server's CPU. The
/// types Kagibag's rows hold (text, uuid, timestamptz, integers, booleans) are read straight
/// from the cell here, and bound the same way; anything else falls back to PostgresKit's own
/// encoding and decoding, with the same results.
public struct PostgresStatements: SQLDatabase {
    public let database: any PostgresDatabase
    /// Fluent's SQLKit view of the same database, for statements with binds of other types.
    public let fallback: any SQLDatabase

    public init(database: any PostgresDatabase, fallback: any SQLDatabase) {
        self.database = database
        self.fallback = fallback
    }

    public var logger: Logger { database.logger }
    public var eventLoop: any EventLoop { database.eventLoop }
    public var version: (any SQLDatabaseReportedVersion)? { nil }
    public var dialect: any SQLDialect { PostgresDialect() }
    public var queryLogLevel: Logger.Level? { nil }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<
            Void
        >
    {
        eventLoop.makeFutureWithTask { try await self.execute(sql: query, onRow) }
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        let (sql, binds) = serialize(query)
        guard let (bindings, types) = Self.bindings(binds) else { return try await fallback.execute(sql: query, onRow) }
        let layout = RowLayout()
        guard let plan = query as? FixedPlan, PreparedTexts.matches(plan.name, sql: sql, types: types) else {
            _ = try await database.withConnection { connection in
                connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: connection.logger) {
                    onRow(Row($0, layout: layout))
                }
            }.get()
            return
        }
        try await run(plan.name, bindings) { onRow(Row($0, layout: layout)) }
    }

    /// Runs the statement `name` names on a connection of the pool (preparing it there first if
    /// that connection has not yet).
    private func run<Name: PreparedStatementName>(
        _ name: Name.Type, _ bindings: PostgresBindings, _ onRow: @escaping @Sendable (PostgresRow) -> Void
    ) async throws {
        let statement = PreparedRun<Name>(bindings: bindings)
        try await database.withConnection { connection in
            connection.eventLoop.makeFutureWithTask {
                for try await row in try await connection.execute(statement, logger: connection.logger) {
                    onRow(row)
                }
            }
        }.get()
    }

    /// The binds in PostgreSQL's binary format with their types, or nil if one is of a type
    /// this does not know. A nil is bound as a null of its optional's type.
    private static func bindings(_ binds: [any Encodable & Sendable]) -> (PostgresBindings, [PostgresDataType])? {
        var bindings = PostgresBindings(capacity: binds.count)
        var types: [PostgresDataType] = []
        types.reserveCapacity(binds.count)
        for bind in binds {
            switch bind {
            case let value as String: bindings.append(value); types.append(.text)
            case let value as UUID: bindings.append(value); types.append(.uuid)
            case let value as Date: bindings.append(value); types.append(.timestamptz)
            case let value as Int: bindings.append(value); types.append(.int8)
            case let value as Bool: bindings.append(value); types.append(.bool)
            default:
                // Only a nil gets here with a known type (a cast unwraps an optional that holds a value).
                guard let (kind, optional) = ColumnType.of(type(of: bind)), optional else { return nil }
                bindings.appendNull()
                types.append(kind.postgresType)
            }
        }
        return (bindings, types)
    }

    /// A row as SQLKit reads it, cells converted by type (by position:
    /// PostgresStatements+Positions.swift).
    struct Row: PositionalRow {
        let row: PostgresRandomAccessRow
        let original: PostgresRow
        let layout: RowLayout

        init(_ row: PostgresRow, layout: RowLayout) {
            self.row = row.makeRandomAccess()
            original = row
            self.layout = layout
        }

        var allColumns: [String] { original.map(\.columnName) }
        func contains(column: String) -> Bool { row.contains(column) }
        func decodeNil(column: String) throws -> Bool { !row.contains(column) || row[column].bytes == nil }

        func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
            guard row.contains(column) else { return try original.sql().decode(column: column, as: type) }
            let cell = row[column]
            guard let (kind, optional) = ColumnType.of(type) else {
                return try original.sql().decode(column: column, as: type)
            }
            switch kind {
            case .string: return try decode(cell, String.self, optional, as: type)
            case .uuid: return try decode(cell, UUID.self, optional, as: type)
            case .date: return try decode(cell, Date.self, optional, as: type)
            case .int: return try decode(cell, Int.self, optional, as: type)
            case .bool: return try decode(cell, Bool.self, optional, as: type)
            }
        }

        @inline(__always)
        private func decode<T: PostgresDecodable, D>(
            _ cell: PostgresCell, _ value: T.Type, _ optional: Bool, as type: D.Type
        ) throws -> D {
            let decoded: T? = optional && cell.bytes == nil ? nil : try cell.decode(T.self)
            return ColumnType.cast(decoded, optional: optional, to: type)!
        }
    }
}

extension ColumnType {
    var postgresType: PostgresDataType {
        switch self {
        case .string: .text
        case .uuid: .uuid
        case .date: .timestamptz
        case .int: .int8
        case .bool: .bool
        }
    }
}
