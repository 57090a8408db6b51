import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Remembers when each API key (and each of its secrets) was last used without writing to the
/// database per request.
///
/// Requests only touch an in-memory dictionary (one lock, no I/O); a background task writes
/// the latest time per secret and key every `interval`, in one transaction, and once more at
/// shutdown. Each write keeps the newer of the stored and the new time, so batches from several
/// instances merge and an older batch never overwrites a newer one.
final class LastUsedRecorder: Sendable {
    struct Use: Sendable {
        let keyID: UUID
        let date: Date
    }

    /// By secret id.
    private let pending = NIOLockedValueBox<[UUID: Use]>([:])
    let interval: TimeInterval
    let metrics: Metrics?

    init(interval: TimeInterval, metrics: Metrics? = nil) {
        self.interval = interval
        self.metrics = metrics
    }

    func record(secret: UUID, key: UUID, at date: Date = Date()) {
        pending.withLockedValue { entries in
            if let existing = entries[secret], existing.date >= date { return }
            entries[secret] = Use(keyID: key, date: date)
        }
    }

    var pendingCount: Int { pending.withLockedValue { $0.count } }

    /// Writes everything recorded so far; returns how many keys were written.
    @discardableResult
    func flush(on database: any Database) async throws -> Int {
        let batch = pending.withLockedValue { entries in
            defer { entries.removeAll(keepingCapacity: true) }
            return entries
        }
        guard !batch.isEmpty else { return 0 }
        let start = ContinuousClock.now
        do {
            try await APIKeyStore.recordLastUsed(batch, on: database)
        } catch {
            // Put the batch back so the next flush retries it, keeping any newer time.
            for (secret, use) in batch { record(secret: secret, key: use.keyID, at: use.date) }
            throw error
        }
        metrics?.query(.write, "last_used", count: batch.count)
        metrics?.lastUsedFlush(rows: batch.count, duration: ContinuousClock.now - start)
        return batch.count
    }
}

/// Runs the periodic flush for the application's lifetime and a final one at shutdown.
final class LastUsedFlusher: LifecycleHandler, Sendable {
    let recorder: LastUsedRecorder
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(recorder: LastUsedRecorder) {
        self.recorder = recorder
    }

    func didBootAsync(_ application: Application) async throws {
        guard recorder.interval > 0 else { return }
        let recorder = self.recorder
        let logger = application.logger
        let db = application.db
        task.withLockedValue {
            $0 = Task.detached {
                while !Task.isCancelled {
                    do {
                        try await Task.sleep(for: .milliseconds(Int(recorder.interval * 1000)))
                    } catch {
                        return  // cancelled: shutdown does the final flush itself
                    }
                    do {
                        let count = try await recorder.flush(on: db)
                        if count > 0 { logger.debug("wrote last-used times", metadata: ["keys": "\(count)"]) }
                    } catch {
                        logger.warning("could not write last-used times; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                    }
                    // The same beat records expiries in the audit trail and retires ended
                    // grace periods; every instance tries, the first one writes.
                    do {
                        try await APIKeySecrets.recordExpiries(on: db)
                    } catch {
                        logger.warning("could not record key expiries; will retry", metadata: ["error": "\(String(reflecting: type(of: error)))"])
                    }
                }
            }
        }
    }

    func shutdownAsync(_ application: Application) async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        // A batch being written right now must land before the final flush and the pools close.
        await running?.value
        do {
            try await recorder.flush(on: application.db)
        } catch {
            application.logger.error("could not write last-used times at shutdown", metadata: ["error": "\(error)"])
        }
    }
}
