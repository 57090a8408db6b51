import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// Writes that must commit together (a change and its Activity entry), run as one transaction
/// in one hand-off to a thread of its own.
///
/// Through sqlite-nio a transaction of two inserts is four statements (BEGIN, INSERT, INSERT,
/// COMMIT), each handed to a thread pool and its result back to the event loop, while SQLite's
/// one write lock is held: an API write with its Activity entry cost 0.64× of one without. Here
/// the whole transaction is one hand-off; its statements stay prepared between runs.
///
/// This is a second writing connection beside Fluent's, so callers hold Fluent's (only) SQLite
/// connection while it runs (`withConnection`): no Fluent transaction is open meanwhile, and the
/// two never take turns at SQLite's lock in the middle of one. Other processes (`kagibag team`)
/// are waited for by the busy timeout, as Fluent's connection waits for them.
public final class SQLiteWriter: Sendable {
    public let logger: Logger
    private let path: String
    private let thread: NIOThreadPool
    /// Opened on first use, on the writer's thread; touched only there.
    private let connection = NIOLockedValueBox<SQLiteReader.Connection?>(nil)
    private let dialect: SQLiteReader

    public init(path: String, logger: Logger, eventLoop: any EventLoop) {
        self.path = path
        self.logger = logger
        thread = NIOThreadPool(numberOfThreads: 1)
        thread.start()
        // Only for writing statements out (SQLite's dialect); it never opens a connection.
        dialect = SQLiteReader(path: path, logger: logger, eventLoop: eventLoop)
    }

    /// The statements of one transaction, for `transaction`'s body only (on the writer's thread).
    public struct Statements {
        fileprivate let connection: SQLiteReader.Connection
        fileprivate let dialect: SQLiteReader

        /// Runs `query`, returning its rows (an `INSERT … RETURNING`'s, a `SELECT`'s).
        @discardableResult
        public func run(_ query: any SQLExpression) throws -> [any SQLRow] {
            var serializer = SQLSerializer(database: dialect)
            query.serialize(to: &serializer)
            let encoder = SQLiteDataEncoder()
            let binds = try serializer.binds.map { try encoder.encode($0) }
            var rows: [any SQLRow] = []
            try connection.query(serializer.sql, binds) { rows.append($0) }
            return rows
        }
    }

    /// Runs `body` in one `BEGIN IMMEDIATE … COMMIT` (rolled back if it throws).
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (Statements) throws -> T) async throws -> T {
        try await thread.runIfActive { [self] in
            let connection = try open()
            let statements = Statements(connection: connection, dialect: dialect)
            try connection.query("BEGIN IMMEDIATE", []) { _ in }
            do {
                let result = try body(statements)
                try connection.query("COMMIT", []) { _ in }
                return result
            } catch {
                try? connection.query("ROLLBACK", []) { _ in }
                throw error
            }
        }
    }

    private func open() throws -> SQLiteReader.Connection {
        if let open = connection.withLockedValue({ $0 }) { return open }
        let opened = try SQLiteReader.Connection(path: path, writable: true)
        // As sqlite-kit's own connections: foreign keys enforced (an event's team must exist).
        try opened.query("PRAGMA foreign_keys = ON", []) { _ in }
        connection.withLockedValue { $0 = opened }
        return opened
    }

    /// Closes the connection and stops the thread (the application is shutting down). Awaited,
    /// never waited for: shutdown may run on an event loop, where blocking is a crash.
    public func close() async {
        try? await thread.runIfActive { [self] in
            connection.withLockedValue { open in
                open?.close()
                open = nil
            }
        }
        try? await thread.shutdownGracefully()
    }
}
