import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SQLKit
import SQLiteKit
import VaporCSQLite

/// Read-only SQLite connections for the hot reads (the key check, the event list), run on the
/// thread that asks.
///
/// Through sqlite-nio every statement is handed to a thread pool and every row back to the event
/// loop, one hand-off each: for a 26-row list that is 27 thread switches around ~20 µs of SQLite
/// work. These connections instead step the statement where the request runs (an event loop, once
/// Swift concurrency runs on them), keep each statement prepared between requests, and are read
/// only. In WAL mode a reader never waits for a writer and sees every transaction committed
/// before its statement began, so a deleted or paused key is refused by the next request exactly
/// as through Fluent's pool.
///
/// A connection serves one statement at a time: it is taken from the idle list, used without
/// awaiting, and put back. The list grows to the number of threads reading at once (the event
/// loops, or the test executor's threads).
public final class SQLiteReader: SQLDatabase, Sendable {
    public let logger: Logger
    public let eventLoop: any EventLoop
    public var version: (any SQLDatabaseReportedVersion)? { nil }
    public var dialect: any SQLDialect { SQLiteDialect() }
    public var queryLogLevel: Logger.Level? { nil }

    private let path: String
    private let idle = NIOLockedValueBox<[Connection]>([])
    private let closed = NIOLockedValueBox(false)

    public init(path: String, logger: Logger, eventLoop: any EventLoop) {
        self.path = path
        self.logger = logger
        self.eventLoop = eventLoop
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void)
        -> EventLoopFuture<
            Void
        >
    {
        eventLoop.makeCompletedFuture { try run(query, onRow) }
    }

    public func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> Void) async throws {
        try run(query, onRow)
    }

    /// Closes the idle connections; later reads fail (the application is shutting down).
    public func close() {
        closed.withLockedValue { $0 = true }
        for connection in idle.withLockedValue({ list in
            defer { list = [] }; return list
        }) { connection.close() }
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> Void) throws {
        var serializer = SQLSerializer(database: self)
        query.serialize(to: &serializer)
        let encoder = SQLiteDataEncoder()
        let binds = try serializer.binds.map { try encoder.encode($0) }
        let connection = try idle.withLockedValue { $0.popLast() } ?? Connection(path: path)
        defer { giveBack(connection) }
        try connection.query(serializer.sql, binds, onRow)
    }

    private func giveBack(_ connection: Connection) {
        let kept = closed.withLockedValue { closed in
            if !closed { idle.withLockedValue { $0.append(connection) } }
            return !closed
        }
        if !kept { connection.close() }
    }

    /// One SQLite handle (read-only unless `writable`, for `SQLiteWriter`) and its prepared
    /// statements; used by one thread at a time.
    final class Connection: @unchecked Sendable {
        private var handle: OpaquePointer?
        private var statements: [String: OpaquePointer] = [:]
        private static let cachedStatements = 64

        init(path: String, writable: Bool = false) throws {
            let flags =
                (writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
            let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
            guard opened == SQLITE_OK else {
                sqlite_nio_sqlite3_close(handle)
                throw ReadError(code: opened, message: "could not open \(path)")
            }
            // Waits (sleeping) rather than spinning if the file is briefly locked, e.g. while
            // another process recovers the WAL index.
            sqlite_nio_sqlite3_busy_timeout(handle, 5_000)
        }

        func query(_ sql: String, _ binds: [SQLiteData], _ onRow: (any SQLRow) -> Void) throws {
            let statement = try prepared(sql)
            // Not `sqlite3_clear_bindings`: it marks the statement expired, and SQLite would then
            // prepare it again on every run (seen with SQLITE_STMTSTATUS_REPREPARE). Every run
            // binds all of a statement's parameters anyway.
            defer { sqlite_nio_sqlite3_reset(statement) }
            for (index, value) in binds.enumerated() {
                try check(bind(value, at: Int32(index + 1), of: statement))
            }
            let count = sqlite_nio_sqlite3_column_count(statement)
            let names = (0..<count).map { String(cString: sqlite_nio_sqlite3_column_name(statement, $0)) }
            let layout = RowLayout()
            while true {
                let step = sqlite_nio_sqlite3_step(statement)
                guard step == SQLITE_ROW else {
                    if step == SQLITE_DONE { return }
                    throw error(step)
                }
                onRow(Row(names: names, values: (0..<count).map { value(at: $0, of: statement) }, layout: layout))
            }
        }

        /// Whether a transaction is open (false after COMMIT, ROLLBACK, or an error that rolled
        /// the whole transaction back, such as a full disk).
        var inTransaction: Bool { sqlite_nio_sqlite3_get_autocommit(handle) == 0 }

        public func close() {
            for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
            statements = [:]
            sqlite_nio_sqlite3_close(handle)
            handle = nil
        }

        private func prepared(_ sql: String) throws -> OpaquePointer {
            if let statement = statements[sql] { return statement }
            // A list's filters and page size make its text vary (SQLKit writes LIMIT as a literal):
            // a bounded cache, emptied when full, keeps memory flat whatever clients ask for.
            if statements.count >= Self.cachedStatements {
                for statement in statements.values { sqlite_nio_sqlite3_finalize(statement) }
                statements = [:]
            }
            var statement: OpaquePointer?
            try check(
                sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil))
            guard let statement else { throw ReadError(code: SQLITE_MISUSE, message: "empty statement") }
            statements[sql] = statement
            return statement
        }

        private func bind(_ value: SQLiteData, at index: Int32, of statement: OpaquePointer) -> Int32 {
            switch value {
            case .integer(let int): return sqlite_nio_sqlite3_bind_int64(statement, index, Int64(int))
            case .float(let double): return sqlite_nio_sqlite3_bind_double(statement, index, double)
            case .null: return sqlite_nio_sqlite3_bind_null(statement, index)
            case .text(let text):
                return sqlite_nio_sqlite3_bind_text64(
                    statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8))
            case .blob(let bytes):
                return bytes.withUnsafeReadableBytes {
                    sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient)
                }
            }
        }

        private func value(at column: Int32, of statement: OpaquePointer) -> SQLiteData {
            switch sqlite_nio_sqlite3_column_type(statement, column) {
            case SQLITE_INTEGER: return .integer(Int(sqlite_nio_sqlite3_column_int64(statement, column)))
            case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
            case SQLITE_TEXT:
                return .text(sqlite_nio_sqlite3_column_text(statement, column).map { String(cString: $0) } ?? "")
            case SQLITE_BLOB:
                let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
                var buffer = ByteBufferAllocator().buffer(capacity: count)
                if let bytes = sqlite_nio_sqlite3_column_blob(statement, column) {
                    buffer.writeBytes(UnsafeRawBufferPointer(start: bytes, count: count))
                }
                return .blob(buffer)
            default: return .null
            }
        }

        private func check(_ code: Int32) throws {
            guard code == SQLITE_OK else { throw error(code) }
        }

        private func error(_ code: Int32) -> ReadError {
            ReadError(code: code, message: sqlite_nio_sqlite3_errmsg(handle).map { String(cString: $0) } ?? "")
        }
    }

    /// A row as SQLKit reads it; decoded like Fluent's SQLite rows (by position:
    /// SQLiteReader+Positions.swift).
    struct Row: PositionalRow {
        let names: [String]
        let values: [SQLiteData]
        let layout: RowLayout

        var allColumns: [String] { names }
        func contains(column: String) -> Bool { names.contains(column) }
        func decodeNil(column: String) throws -> Bool { (try? value(column)) ?? .null == .null }
        func decode<D: Decodable>(column: String, as type: D.Type) throws -> D {
            let value = try value(column)
            if let known = Self.known(value, as: type) { return known }
            return try Self.decoder.decode(D.self, from: value)
        }

        private static let decoder = SQLiteDataDecoder()

        /// The column types of the hot rows, read without `Decodable` (the decoder's dynamic casts
        /// and, for optionals and UUIDs, a nested decoder object per value); the same results as
        /// `SQLiteDataDecoder` (UUIDs are stored as text, dates as seconds since 1970).
        private static func known<D>(_ value: SQLiteData, as type: D.Type) -> D? {
            guard let (kind, optional) = ColumnType.of(type) else { return nil }
            switch kind {
            case .string: return convert(value, optional, type) { String(sqliteData: $0) }
            case .uuid:
                return convert(value, optional, type) { if case .text(let text) = $0 { UUID(text: text) } else { nil } }
            case .date: return convert(value, optional, type) { Date(sqliteData: $0) }
            case .int: return convert(value, optional, type) { Int(sqliteData: $0) }
            case .bool: return convert(value, optional, type) { Bool(sqliteData: $0) }
            }
        }

        /// nil when `value` does not convert (the decoder then says why).
        @inline(__always)
        private static func convert<T, D>(
            _ value: SQLiteData, _ optional: Bool, _ type: D.Type, _ make: (SQLiteData) -> T?
        ) -> D? {
            if value == .null { return optional ? ColumnType.cast(T?.none, optional: true, to: type) : nil }
            guard let converted = make(value) else { return nil }
            return ColumnType.cast(converted, optional: optional, to: type)
        }

        private func value(_ column: String) throws -> SQLiteData {
            guard let index = names.firstIndex(of: column) else { throw MissingColumn(column: column) }
            return values[index]
        }
    }

    struct MissingColumn: Error, CustomStringConvertible {
        let column: String
        var description: String { "no column \(column) in the row" }
    }

    struct ReadError: Error, CustomStringConvertible {
        let code: Int32
        let message: String
        var description: String { "SQLite error \(code): \(message)" }
    }
}

/// SQLite copies text and blobs bound with this destructor before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
