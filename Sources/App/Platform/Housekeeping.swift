import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Deletes what has expired (sessions, invitations, idempotency records) every `interval` while
/// the server runs, in batches of `batchSize`: no table grows between restarts, and no single
/// statement holds SQLite's write lock for long. Every instance runs it; two instances deleting
/// the same expired rows at once do no harm.
final class Housekeeping: LifecycleHandler, Sendable {
    struct Job: Sendable {
        let name: String
        /// Deletes at most `limit` expired rows and returns how many it deleted.
        let purge: @Sendable (_ db: any Database, _ limit: Int) async throws -> Int
    }

    let interval: Duration
    let batchSize: Int
    let jobs: [Job]
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(interval: Duration = .seconds(600), batchSize: Int = 1000, jobs: [Job]) {
        self.interval = interval
        self.batchSize = batchSize
        self.jobs = jobs
    }

    /// Runs every job until it finds fewer than a batch to delete; returns the rows deleted per job.
    @discardableResult
    func runOnce(on db: any Database) async throws -> [String: Int] {
        var deleted: [String: Int] = [:]
        for job in jobs {
            var total = 0
            while true {
                let count = try await job.purge(db, batchSize)
                total += count
                if count < batchSize || Task.isCancelled { break }
                await Task.yield()  // let requests waiting for the write lock in between batches
            }
            deleted[job.name] = total
        }
        return deleted
    }

    func didBootAsync(_ application: Application) async throws {
        let logger = application.logger
        let db = application.db
        task.withLockedValue {
            $0 = Task.detached { [self] in
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: interval)
                    } catch {
                        return  // cancelled at shutdown
                    }
                    do {
                        let deleted = try await runOnce(on: db).filter { $0.value > 0 }
                        if !deleted.isEmpty { logger.debug("purged expired rows", metadata: ["deleted": "\(deleted)"]) }
                    } catch {
                        logger.warning("could not purge expired rows; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                    }
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        await running?.value
    }
}
