import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SQLKit
import SQLiteKit

/// Writes that must commit together (a change and its Activity entry), run as one transaction
/// in one hand-off to a thread of its own, and committed together with the other such writes
/// waiting at the same moment (group commit).
///
/// Through sqlite-nio a transaction of two inserts is four statements (BEGIN, INSERT, INSERT,
/// COMMIT), each handed to a thread pool and its result back to the event loop, while SQLite's
/// one write lock is held: an API write with its Activity entry cost 0.64× of one without. Here
/// the whole transaction is one hand-off; its statements stay prepared between runs.
///
/// A commit is most of a write's cost (the changed pages of every index appended to the WAL,
/// then `fsync`): one write with its Activity entry changes about twice the pages of one
/// without. So the transactions that arrive while a commit runs wait for the next one and share
/// it, each in a savepoint of its own: one that fails is rolled back alone, and each caller is
/// answered only after the commit that holds its write. Alone, a transaction is just that.
///
/// This is a second writing connection beside Fluent's, so each commit runs inside
/// `exclusively` (App holds Fluent's only SQLite connection there): no Fluent transaction is
/// open meanwhile, and the two never take turns at SQLite's lock in the middle of one. Other
/// processes (`kagibag team`) are waited for by the busy timeout, as Fluent's connection waits.
public final class SQLiteWriter: Sendable {
    public let logger: Logger
    private let path: String
    private let thread: NIOThreadPool
    /// Opened on first use, on the writer's thread; touched only there.
    private let connection = NIOLockedValueBox<SQLiteReader.Connection?>(nil)
    private let dialect: SQLiteReader
    private let queue = NIOLockedValueBox(Queue())
    private let tally = NIOLockedValueBox(Grouping())

    /// What runs a commit: App holds Fluent's connection around it.
    public typealias Exclusively =
        @Sendable (@escaping @Sendable () async throws -> [Outcome]) async throws
        -> [Outcome]
    public typealias Outcome = Result<Void, any Error>

    private struct Job: Sendable {
        let body: @Sendable (Statements) throws -> Void
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct Queue {
        var waiting: [Job] = []
        /// A task is committing; what arrives meanwhile waits for its next round.
        var committing = false
    }

    /// How the commits so far were shared.
    public struct Grouping: Sendable, Equatable {
        public var commits = 0
        public var transactions = 0
        public var largest = 0
    }

    /// At most this many transactions share one commit (a bounded wait for the last of them).
    static let largestGroup = 64

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

    /// Runs `body` in a transaction (rolled back if it throws), committed with the others
    /// waiting at the same moment; returns once that commit is durable, or throws `body`'s
    /// error, or the commit's.
    public func transaction(
        _ body: @escaping @Sendable (Statements) throws -> Void, exclusively: @escaping Exclusively
    ) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let leads = queue.withLockedValue { queue in
                queue.waiting.append(Job(body: body, continuation: continuation))
                if queue.committing { return false }
                queue.committing = true
                return true
            }
            if leads { Task { await self.commitWhileWaiting(exclusively) } }
        }
    }

    /// Commits group after group until nobody waits.
    private func commitWhileWaiting(_ exclusively: Exclusively) async {
        while true {
            let group = queue.withLockedValue { queue -> [Job] in
                let group = Array(queue.waiting.prefix(Self.largestGroup))
                queue.waiting.removeFirst(group.count)
                if group.isEmpty { queue.committing = false }
                return group
            }
            guard !group.isEmpty else { return }
            let outcomes: [Outcome]
            do {
                outcomes = try await exclusively { [self] in try await commit(group.map(\.body)) }
            } catch {
                outcomes = group.map { _ in .failure(error) }
            }
            tally.withLockedValue {
                $0.commits += 1
                $0.transactions += group.count
                $0.largest = max($0.largest, group.count)
            }
            for (job, outcome) in zip(group, outcomes) { job.continuation.resume(with: outcome) }
        }
    }

    /// One `BEGIN IMMEDIATE … COMMIT` around `bodies`, each in a savepoint when there are several.
    private func commit(_ bodies: [@Sendable (Statements) throws -> Void]) async throws -> [Outcome] {
        try await thread.runIfActive { [self] in
            let connection = try open()
            let statements = Statements(connection: connection, dialect: dialect)
            try connection.query("BEGIN IMMEDIATE", []) { _ in }
            var outcomes: [Outcome] = []
            do {
                if bodies.count == 1 {
                    try bodies[0](statements)
                    outcomes.append(.success(()))
                } else {
                    for body in bodies {
                        try connection.query("SAVEPOINT together", []) { _ in }
                        do {
                            try body(statements)
                            try connection.query("RELEASE together", []) { _ in }
                            outcomes.append(.success(()))
                        } catch {
                            // An I/O error or a full disk can end the whole transaction; then
                            // nothing of the group stands, and all are told so.
                            guard connection.inTransaction else { throw error }
                            try connection.query("ROLLBACK TO together", []) { _ in }
                            try connection.query("RELEASE together", []) { _ in }
                            outcomes.append(.failure(error))
                        }
                    }
                }
                try connection.query("COMMIT", []) { _ in }
                return outcomes
            } catch {
                if connection.inTransaction { try? connection.query("ROLLBACK", []) { _ in } }
                throw error
            }
        }
    }

    /// How many commits so far, and how many transactions they held.
    public var grouping: Grouping { tally.withLockedValue { $0 } }

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
