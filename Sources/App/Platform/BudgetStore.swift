import Foundation
import NIOConcurrencyHelpers

/// A slice of a budget granted by the store.
struct BudgetLease: Sendable {
    let granted: Int
    /// What the store has left of the budget in this window after granting.
    let left: Int
    /// Which window (the store's clock, when it began): slices of different windows never mix.
    let window: Int64
    /// How long the window lasts from when the store answered.
    let endsInMilliseconds: Int64
}

/// Where budgets are kept between instances: the database (PostgreSQL, several instances) or
/// this process (SQLite, one instance).
protocol BudgetStore: Sendable {
    /// Grants at most `want` of `scope`'s `limit` for the window it is in (a new one begins when
    /// the last has ended), never more than is left.
    func lease(scope: String, want: Int, limit: Int, windowMilliseconds: Int64) async throws -> BudgetLease
    /// Puts `count` unspent requests back into `scope`'s budget, if its window is still `window`.
    func giveBack(scope: String, count: Int, window: Int64) async throws
    /// How much to ask for at once.
    func slice(of limit: Int) -> Int
}

extension BudgetStore {
    /// 2 % of the limit (at least one).
    func slice(of limit: Int) -> Int { max(1, limit / 50) }
}

/// The grant rule both stores follow (the SQL statement says the same in SQL): at most `want`,
/// at most what is left, and at most half of it (rounded up), so that the last of a budget is
/// spread over the instances still asking.
enum BudgetGrant {
    static func amount(want: Int, left: Int) -> Int {
        guard left > 0 else { return 0 }
        return min(want, left, max(1, (left + 1) / 2))
    }
}

/// Budgets kept in this process: one instance, one store. It grants the whole remainder at
/// once, so that a busy key costs a lock and no more.
final class LocalBudgetStore: BudgetStore {
    private struct Entry {
        var window: Int64
        var taken: Int
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])
    private let clock: @Sendable () -> Int64

    init(clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.clock = clock
    }

    func slice(of limit: Int) -> Int { limit }

    func lease(scope: String, want: Int, limit: Int, windowMilliseconds: Int64) async throws -> BudgetLease {
        let now = clock()
        return entries.withLockedValue { entries in
            var entry = entries[scope] ?? Entry(window: now, taken: 0)
            if entry.window + windowMilliseconds <= now { entry = Entry(window: now, taken: 0) }
            let granted = min(want, max(0, limit - entry.taken))
            entry.taken += granted
            entries[scope] = entry
            if entries.count > 50_000 { entries = entries.filter { $0.value.window + windowMilliseconds > now } }
            return BudgetLease(
                granted: granted, left: limit - entry.taken, window: entry.window,
                endsInMilliseconds: entry.window + windowMilliseconds - now)
        }
    }

    func giveBack(scope: String, count: Int, window: Int64) async throws {
        entries.withLockedValue { entries in
            guard var entry = entries[scope], entry.window == window else { return }
            entry.taken = max(0, entry.taken - count)
            entries[scope] = entry
        }
    }
}
