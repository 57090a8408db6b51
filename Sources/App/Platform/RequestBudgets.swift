import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Budgets of requests per window (a key's, a team's), shared by every instance through leases.
///
/// An instance that needs to spend from a budget takes a slice of it from the `BudgetStore` in
/// one statement (a lease), spends the slice from memory, and takes another when it is gone.
/// The store never grants more than the budget's limit in one window, and an instance spends a
/// slice only before the window ends (by its own clock, measured from before it asked), so the
/// requests admitted in one window across all instances never exceed the limit. What an
/// instance holds unspent when it dies, or when the window ends, is lost for that window: the
/// budget can only come up short, by at most one slice per instance (docs/deploy.md).
///
/// An idle budget costs nothing; a busy one a lease every `slice` requests per instance (2 % of
/// the limit: about one statement a second per instance for a key spending its whole budget).
/// Slices shrink as the budget runs low (half of what is left), so that the last of it is spread
/// over the instances that still ask rather than stranded in one.
final class RequestBudgets: Sendable {
    enum Kind: String, CaseIterable, Sendable {
        case key, team
    }

    /// A budget: whose it is, for the store (`key:<id>`, `team:<id>`), and which kind.
    struct Scope: Hashable, Sendable {
        let kind: Kind
        let id: UUID

        var name: String { "\(kind.rawValue):\(id.uuidString.lowercased())" }
    }

    /// What one request found: admitted or not, and what the headers announce.
    struct Decision: Sendable {
        let kind: Kind
        let allowed: Bool
        let limit: Int
        /// What this instance knows is left: the store's remainder at its last lease plus what it
        /// holds itself (other instances may have spent some since).
        let remaining: Int
        /// Seconds until the window ends and the budget refills (at least 1).
        let resetSeconds: Int
        let windowSeconds: Int
        /// The window the request was spent in (a refund goes back only into it).
        var window: Int64 = .min
    }

    /// A budget's state on this instance.
    private struct Slot {
        var limit: Int
        /// The window the held tokens belong to (the store's id for it), and when it ends here.
        var window: Int64 = .min
        var endsAt: NIODeadline = .uptimeNanoseconds(0)
        var tokens = 0
        /// The store's remainder at the last lease.
        var storeLeft = 0
        var lastSpent: NIODeadline = .uptimeNanoseconds(0)
        var leasing = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    let store: any BudgetStore
    let window: Duration
    private let metrics: Metrics?
    private let logger: Logger
    private let shards: [NIOLockedValueBox<[Scope: Slot]>]

    init(store: any BudgetStore, window: Duration = .seconds(60), metrics: Metrics?, logger: Logger, shards: Int = 16) {
        self.store = store
        self.window = window
        self.metrics = metrics
        self.logger = logger
        self.shards = (0..<shards).map { _ in NIOLockedValueBox([:]) }
    }

    var windowSeconds: Int { Int(window.components.seconds) }

    private func shard(_ scope: Scope) -> NIOLockedValueBox<[Scope: Slot]> {
        shards[Int(UInt(bitPattern: scope.hashValue) % UInt(shards.count))]
    }

    private enum Step {
        case done(Decision)
        case wait
        case lease(window: Int64)
    }

    /// Spends one request from `scope`'s budget of `limit` per window, or says it is gone.
    func spend(_ scope: Scope, limit: Int) async -> Decision {
        let shard = shard(scope)
        while true {
            let now = NIODeadline.now()
            let step = shard.withLockedValue { slots -> Step in
                var slot = slots[scope] ?? Slot(limit: limit)
                defer { slots[scope] = slot }
                if now < slot.endsAt {
                    if slot.tokens > 0 {
                        slot.tokens -= 1
                        slot.lastSpent = now
                        return .done(decision(slot, allowed: true, limit: limit, now: now, kind: scope.kind))
                    }
                    // Known to be spent (for this limit: a raised one asks again).
                    if slot.storeLeft == 0, slot.limit == limit, !slot.leasing {
                        return .done(decision(slot, allowed: false, limit: limit, now: now, kind: scope.kind))
                    }
                }
                if slot.leasing { return .wait }
                slot.leasing = true
                return .lease(window: slot.window)
            }
            switch step {
            case .done(let decision):
                metrics?.budget(scope.kind, admitted: decision.allowed)
                return decision
            case .wait:
                await withCheckedContinuation { continuation in
                    let resumeNow = shard.withLockedValue { slots in
                        guard slots[scope]?.leasing == true else { return true }
                        slots[scope]!.waiters.append(continuation)
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            case .lease:
                await lease(scope, limit: limit, shard: shard)
            }
        }
    }

    /// Takes a slice of `scope`'s budget from the store, then wakes whoever waited for it.
    private func lease(_ scope: Scope, limit: Int, shard: NIOLockedValueBox<[Scope: Slot]>) async {
        // Measured before asking: the window ends here no later than it ends in the store.
        let asked = NIODeadline.now()
        let result: Result<BudgetLease, any Error>
        do {
            result = .success(
                try await store.lease(
                    scope: scope.name, want: store.slice(of: limit), limit: limit,
                    windowMilliseconds: Int64(window.components.seconds * 1000)))
            metrics?.budgetStatement(.lease)
        } catch {
            result = .failure(error)
        }
        let waiters = shard.withLockedValue { slots -> [CheckedContinuation<Void, Never>] in
            var slot = slots[scope] ?? Slot(limit: limit)
            switch result {
            case .success(let lease):
                if lease.window != slot.window { slot.tokens = 0 }  // the old window's are void
                slot.window = lease.window
                slot.tokens += lease.granted
                slot.storeLeft = max(0, lease.left)
                slot.endsAt = asked + .milliseconds(max(0, lease.endsInMilliseconds))
            case .failure:
                // The store did not answer: this instance admits one slice a second on its own
                // rather than refusing every request while the database is away (from now: a
                // lease that failed slowly must not leave a second already over).
                slot.window = .min
                slot.tokens = store.slice(of: limit)
                slot.storeLeft = 0
                slot.endsAt = .now() + .seconds(1)
            }
            slot.limit = limit
            slot.leasing = false
            let waiters = slot.waiters
            slot.waiters = []
            slots[scope] = slot
            return waiters
        }
        if case .failure(let error) = result {
            metrics?.budgetStatement(.failed)
            logger.warning(
                "rate budget lease failed; admitting locally for a second",
                metadata: ["budget": "\(scope.kind.rawValue)", "error": "\(String(reflecting: type(of: error)))"])
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Gives back one request spent by `spend` (its other budget refused it), if its window is
    /// still the one this instance spends from: a token of an ended window is void.
    func refund(_ scope: Scope, spent: Decision) {
        let now = NIODeadline.now()
        shard(scope).withLockedValue { slots in
            guard var slot = slots[scope], now < slot.endsAt, slot.window == spent.window, spent.allowed else {
                return
            }
            slot.tokens += 1
            slots[scope] = slot
        }
    }

    /// What `scope`'s budget looks like from here, without spending from it.
    func peek(_ scope: Scope, limit: Int) -> Decision {
        let now = NIODeadline.now()
        return shard(scope).withLockedValue { slots in
            guard let slot = slots[scope], now < slot.endsAt else {
                return Decision(
                    kind: scope.kind, allowed: true, limit: limit, remaining: limit, resetSeconds: windowSeconds,
                    windowSeconds: windowSeconds)
            }
            return decision(slot, allowed: true, limit: limit, now: now, kind: scope.kind)
        }
    }

    private func decision(_ slot: Slot, allowed: Bool, limit: Int, now: NIODeadline, kind: Kind) -> Decision {
        let left = slot.endsAt - now
        let seconds = Int((Double(left.nanoseconds) / 1e9).rounded(.up))
        return Decision(
            kind: kind, allowed: allowed, limit: limit, remaining: min(limit, max(0, slot.storeLeft + slot.tokens)),
            resetSeconds: min(windowSeconds, max(1, seconds)), windowSeconds: windowSeconds, window: slot.window)
    }

    /// Gives back to the store what this instance holds and has not spent for `quiet`, when the
    /// store had less than a tenth of the budget left at the last lease (other instances may be
    /// short of it; with more left nobody needs it, and a key used now and then would otherwise
    /// cost a lease and a give-back per request); at shutdown (`quiet` zero) all it holds.
    /// Forgets budgets whose window is over. Returns how many slices went back.
    @discardableResult
    func returnIdle(for quiet: TimeAmount = .seconds(1)) async -> Int {
        let now = NIODeadline.now()
        var unused: [(Scope, Int64, Int)] = []
        for shard in shards {
            shard.withLockedValue { slots in
                for (scope, slot) in slots {
                    if slot.endsAt < now, !slot.leasing, slot.waiters.isEmpty {
                        slots[scope] = nil
                    } else if slot.tokens > 0, slot.window != .min, !slot.leasing, now - slot.lastSpent >= quiet,
                        slot.endsAt - now > .milliseconds(500), quiet == .zero || slot.storeLeft * 10 < slot.limit
                    {
                        unused.append((scope, slot.window, slot.tokens))
                        slots[scope]!.storeLeft += slot.tokens
                        slots[scope]!.tokens = 0
                    }
                }
            }
        }
        for (scope, window, count) in unused {
            do {
                try await store.giveBack(scope: scope.name, count: count, window: window)
                metrics?.budgetStatement(.giveBack)
            } catch {
                metrics?.budgetStatement(.failed)
            }
        }
        return unused.count
    }
}
