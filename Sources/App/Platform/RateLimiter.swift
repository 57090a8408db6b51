import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Fixed-window counters kept in memory, sharded so that concurrent requests rarely meet on
/// the same lock.
///
/// For the small limits (failed logins, sign-ups, failed key checks, self-rolls, unknown ticket
/// codes), counted per instance: behind N instances each is at most N times the setting
/// (docs/deploy.md). Keys' and teams' request budgets hold across instances (`RequestBudgets`).
final class RateLimiter: Sendable {
    struct Decision: Sendable {
        let allowed: Bool
        let limit: Int
        let remaining: Int
        /// Seconds until the window resets (at least 1).
        let resetSeconds: Int
    }

    private struct Window {
        var start: Date
        var count: Int
    }

    let limit: Int
    let window: TimeInterval
    private let shards: [NIOLockedValueBox<[String: Window]>]

    init(limit: Int, window: TimeInterval, shards: Int = 16) {
        self.limit = limit
        self.window = window
        self.shards = (0..<shards).map { _ in NIOLockedValueBox([:]) }
    }

    /// Counts one attempt for `key` and says whether it is within the limit.
    func hit(_ key: String, now: Date = Date()) -> Decision {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
        let limit = self.limit, window = self.window
        return shard.withLockedValue { windows in
            var current = windows[key] ?? Window(start: now, count: 0)
            if now.timeIntervalSince(current.start) >= window { current = Window(start: now, count: 0) }
            current.count += 1
            windows[key] = current
            if windows.count > 50_000 { Self.sweep(&windows, now: now, window: window) }
            let reset = max(1, Int((current.start.addingTimeInterval(window).timeIntervalSince(now)).rounded(.up)))
            return Decision(
                allowed: current.count <= limit, limit: limit, remaining: max(0, limit - current.count),
                resetSeconds: reset)
        }
    }

    /// Whether `key` is over the limit, without counting an attempt.
    func isBlocked(_ key: String, now: Date = Date()) -> Decision? {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
        let limit = self.limit, window = self.window
        return shard.withLockedValue { windows in
            guard let current = windows[key], now.timeIntervalSince(current.start) < window, current.count >= limit
            else { return nil }
            let reset = max(1, Int((current.start.addingTimeInterval(window).timeIntervalSince(now)).rounded(.up)))
            return Decision(
                allowed: false, limit: limit, remaining: 0, resetSeconds: reset)
        }
    }

    /// Gives back one attempt counted by `hit` (one that was refused before it was tried, or
    /// that succeeded): reserving first and giving back after is what keeps a burst of
    /// concurrent attempts from all passing a check made before any of them was counted.
    func release(_ key: String) {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
        shard.withLockedValue { windows in
            if var current = windows[key], current.count > 0 {
                current.count -= 1
                windows[key] = current
            }
        }
    }

    func reset(_ key: String) {
        let shard = shards[Int(UInt(bitPattern: key.hashValue) % UInt(shards.count))]
        shard.withLockedValue { _ = $0.removeValue(forKey: key) }
    }

    private static func sweep(_ windows: inout [String: Window], now: Date, window: TimeInterval) {
        windows = windows.filter { now.timeIntervalSince($0.value.start) < window }
    }
}
