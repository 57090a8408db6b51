import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// What keys do, gathered in memory and written in batches: no request writes to the database.
///
/// A request touches one dictionary under one lock. Per key and flush interval the record is
/// small and bounded (counters per day, outcome and permission; the last use; at most
/// `addressesPerKey` addresses), so memory does not grow with traffic. Every `interval` (and at
/// shutdown) `flush` writes the batch with one statement per table; the writes add counts and
/// only move times forward, so batches from several instances merge.
final class UsageRecorder: Sendable {
    /// One request made with a key whose secret was found.
    struct Use: Sendable {
        let secret, key: UUID
        var at = Date()
        /// Whether the key authenticated (its last use moves); false for a paused, expired or
        /// fenced key's refusal, which still counts in the key's usage.
        var accepted = true
        var address: String
        var userAgent: String?
        var status: UInt
        var permission: Permission?
        /// The event the request was about, if one.
        var event: UUID? = nil
    }

    struct DayTally: Sendable, Equatable {
        var ok = 0, clientErrors = 0, rateLimited = 0, serverErrors = 0
        /// By `Permission.allCases` order.
        var permissions = Array(repeating: 0, count: Permission.allCases.count)
        /// Requests about events beyond the `eventsPerDay` counted by id (the day used "many").
        var eventsUntracked = 0
    }

    struct KeyTally: Sendable {
        var lastAt: Date?
        var lastAddress: String?
        var lastUserAgent: String?
        var days: [Int: DayTally] = [:]
        var addresses: [String: (first: Date, last: Date)] = [:]
        /// Requests per event per day, at most `eventsPerDay` events a day.
        var events: [Int: [UUID: Int]] = [:]
    }

    struct Batch: Sendable {
        var secrets: [UUID: Date] = [:]
        var keys: [UUID: KeyTally] = [:]
        var isEmpty: Bool { secrets.isEmpty && keys.isEmpty }
    }

    static let addressesPerKey = 5
    /// Events counted by id per key per day; beyond them a day counts only how many requests.
    static let eventsPerDay = 100
    /// In UTF-8 bytes: a cap in characters let one "character" of 60,000 combining marks through.
    static let maximumUserAgent = 200

    private let pending = NIOLockedValueBox(Batch())
    let interval: TimeInterval
    let metrics: Metrics?

    init(interval: TimeInterval, metrics: Metrics? = nil) {
        self.interval = interval
        self.metrics = metrics
    }

    /// The longest start of `text` of at most `limit` UTF-8 bytes that ends between two scalars.
    static func prefix(_ text: String, utf8Bytes limit: Int) -> String {
        guard text.utf8.count > limit else { return text }
        var scalars = String.UnicodeScalarView()
        var used = 0
        for scalar in text.unicodeScalars {
            used += UTF8.width(scalar)
            guard used <= limit else { break }
            scalars.append(scalar)
        }
        return String(scalars)
    }

    func record(_ use: Use) {
        let day = Self.day(of: use.at)
        let agent = use.userAgent.map { Self.prefix($0, utf8Bytes: Self.maximumUserAgent) }
        pending.withLockedValue { batch in
            var tally = batch.keys[use.key] ?? KeyTally()
            var counts = tally.days[day] ?? DayTally()
            switch use.status {
            case 200..<400: counts.ok += 1
            case 429: counts.rateLimited += 1
            case 400..<500: counts.clientErrors += 1
            default: counts.serverErrors += 1
            }
            if let permission = use.permission, let index = Permission.allCases.firstIndex(of: permission) {
                counts.permissions[index] += 1
            }
            if let event = use.event {
                var events = tally.events[day] ?? [:]
                if events[event] != nil || events.count < Self.eventsPerDay {
                    events[event, default: 0] += 1
                    tally.events[day] = events
                } else {
                    counts.eventsUntracked += 1
                }
            }
            tally.days[day] = counts
            if use.accepted {
                if (batch.secrets[use.secret] ?? .distantPast) < use.at { batch.secrets[use.secret] = use.at }
                if (tally.lastAt ?? .distantPast) < use.at {
                    tally.lastAt = use.at
                    tally.lastAddress = use.address
                    tally.lastUserAgent = agent
                }
            }
            if let seen = tally.addresses[use.address] {
                tally.addresses[use.address] = (min(seen.first, use.at), max(seen.last, use.at))
            } else {
                if tally.addresses.count >= Self.addressesPerKey,
                    let stalest = tally.addresses.min(by: { $0.value.last < $1.value.last })
                {
                    tally.addresses[stalest.key] = nil
                }
                tally.addresses[use.address] = (use.at, use.at)
            }
            batch.keys[use.key] = tally
        }
    }

    /// Writes everything recorded so far; returns how many keys were written.
    @discardableResult
    func flush(on database: any Database) async throws -> Int {
        let batch = pending.withLockedValue { batch in
            defer { batch = Batch() }
            return batch
        }
        guard !batch.isEmpty else { return 0 }
        let start = ContinuousClock.now
        do {
            try await APIKeyUsage.write(batch, on: database)
        } catch {
            // Put the batch back so the next flush retries it, merged with what came since.
            pending.withLockedValue { $0 = Self.merge($0, batch) }
            throw error
        }
        metrics?.query(.write, "last_used", count: batch.keys.count)
        metrics?.lastUsedFlush(rows: batch.keys.count, duration: ContinuousClock.now - start)
        return batch.keys.count
    }

    /// Days since 1970-01-01 in UTC.
    static func day(of date: Date) -> Int {
        Int((date.timeIntervalSince1970 / 86400).rounded(.down))
    }

    static func merge(_ a: Batch, _ b: Batch) -> Batch {
        var merged = a
        for (secret, at) in b.secrets where (merged.secrets[secret] ?? .distantPast) < at {
            merged.secrets[secret] = at
        }
        for (key, other) in b.keys {
            var tally = merged.keys[key] ?? KeyTally()
            if (tally.lastAt ?? .distantPast) < (other.lastAt ?? .distantPast) {
                (tally.lastAt, tally.lastAddress, tally.lastUserAgent) = (
                    other.lastAt, other.lastAddress, other.lastUserAgent
                )
            }
            for (day, counts) in other.days {
                var sum = tally.days[day] ?? DayTally()
                sum.ok += counts.ok
                sum.clientErrors += counts.clientErrors
                sum.rateLimited += counts.rateLimited
                sum.serverErrors += counts.serverErrors
                sum.permissions = zip(sum.permissions, counts.permissions).map(+)
                sum.eventsUntracked += counts.eventsUntracked
                tally.days[day] = sum
            }
            for (day, events) in other.events {
                tally.events[day] = (tally.events[day] ?? [:]).merging(events, uniquingKeysWith: +)
            }
            for (address, seen) in other.addresses {
                let mine = tally.addresses[address]
                tally.addresses[address] = (
                    min(mine?.first ?? seen.first, seen.first), max(mine?.last ?? seen.last, seen.last)
                )
            }
            merged.keys[key] = tally
        }
        return merged
    }
}

/// The final flush at shutdown, after the last requests. (The periodic flush is a
/// `Housekeeping` job, with key expiries and the pruning of old usage.)
final class UsageFlusher: LifecycleHandler, Sendable {
    let recorder: UsageRecorder
    let requestLog: RequestLog?

    init(recorder: UsageRecorder, requestLog: RequestLog? = nil) {
        self.recorder = recorder
        self.requestLog = requestLog
    }

    func shutdownAsync(_ application: Application) async {
        do {
            try await recorder.flush(on: application.db)
        } catch {
            application.logger.error("could not write key usage at shutdown", metadata: ["error": "\(error)"])
        }
        do {
            try await requestLog?.flush(on: application.db)
        } catch {
            application.logger.error(
                "could not write keys' recent requests at shutdown", metadata: ["error": "\(error)"])
        }
    }
}

extension Application {
    /// Key usage waiting to be written (set by `configure`).
    var usage: UsageRecorder {
        get { feature(UsageRecorder.self) }
        set { storage[FeatureService<UsageRecorder>.self] = newValue }
    }
}
