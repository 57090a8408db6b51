import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The server's periodic jobs, each every `interval` or its own period, while the server runs:
/// deleting what has expired (sessions, invitations, idempotency records, old key usage) in
/// batches of `batchSize`, so that no table grows between restarts and no single statement holds
/// SQLite's write lock for long; and recording key expiries. Every instance runs them; two
/// instances doing the same job at once do no harm (each job is written to allow it).
final class Housekeeping: LifecycleHandler, Sendable {
    struct Job: Sendable {
        let name: String
        /// How often it runs; nil: every `interval` of the housekeeping.
        var every: Duration? = nil
        /// Deletes at most `limit` expired rows and returns how many it deleted (a job that is
        /// not a purge returns fewer than `limit`, and runs once a round).
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

    /// Runs every job (or those of `only`) until it finds fewer than a batch to delete; returns
    /// the rows deleted per job.
    @discardableResult
    func runOnce(on db: any Database, only: Set<Int>? = nil) async throws -> [String: Int] {
        var deleted: [String: Int] = [:]
        for (index, job) in jobs.enumerated() where only?.contains(index) ?? true {
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
                let periods = jobs.map { $0.every ?? interval }
                let tick = periods.min() ?? interval
                let clock = ContinuousClock()
                // Every job's first run at the first tick: an instance restarted more often than
                // a job's period would otherwise never run it.
                var due = periods.map { _ in clock.now + tick }
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: tick)
                    } catch {
                        return  // cancelled at shutdown
                    }
                    let now = clock.now
                    // Each job on its own: one that fails is tried again at the next tick and holds
                    // no other back; one that succeeds waits its period.
                    for index in due.indices where due[index] <= now {
                        do {
                            let done = try await runOnce(on: db, only: [index]).filter { $0.value > 0 }
                            if !done.isEmpty { logger.debug("housekeeping", metadata: ["done": "\(done)"]) }
                            due[index] = clock.now + periods[index]
                        } catch {
                            logger.warning(
                                "housekeeping job failed; will retry",
                                metadata: [
                                    "job": "\(jobs[index].name)", "error": "\(String(reflecting: type(of: error)))",
                                ])
                        }
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
