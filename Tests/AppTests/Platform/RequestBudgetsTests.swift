import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing
import VaporTesting

@testable import App

/// A store that grants as `SQLBudgetStore`'s statement does (a slice of 2 %, at most half of
/// what is left), in memory, slowly enough that instances asking at once really overlap, and
/// counts its statements.
private final class SharedStoreInMemory: BudgetStore {
    struct Entry {
        var window: Int64
        var taken: Int
    }
    let entries = NIOLockedValueBox<[String: Entry]>([:])
    let statements = NIOLockedValueBox(0)
    let delay: Duration

    init(delay: Duration = .microseconds(200)) { self.delay = delay }

    func lease(scope: String, want: Int, limit: Int, windowMilliseconds: Int64) async throws -> BudgetLease {
        try await Task.sleep(for: delay)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        statements.withLockedValue { $0 += 1 }
        return entries.withLockedValue { entries in
            var entry = entries[scope] ?? Entry(window: now, taken: 0)
            if entry.window + windowMilliseconds <= now { entry = Entry(window: now, taken: 0) }
            let granted = BudgetGrant.amount(want: want, left: limit - entry.taken)
            entry.taken += granted
            entries[scope] = entry
            return BudgetLease(
                granted: granted, left: limit - entry.taken, window: entry.window,
                endsInMilliseconds: entry.window + windowMilliseconds - now)
        }
    }

    func giveBack(scope: String, count: Int, window: Int64) async throws {
        statements.withLockedValue { $0 += 1 }
        entries.withLockedValue { entries in
            guard var entry = entries[scope], entry.window == window else { return }
            entry.taken = max(0, entry.taken - count)
            entries[scope] = entry
        }
    }
}

/// Instances (one `RequestBudgets` each) sharing `store`, spending `requests` at once spread
/// over them; returns how many each admitted.
private func burst(
    _ instances: [RequestBudgets], scope: RequestBudgets.Scope, limit: Int, requests: Int
) async -> [Int] {
    await withTaskGroup(of: (Int, Bool).self) { group in
        for index in 0..<requests {
            let instance = index % instances.count
            group.addTask { (instance, await instances[instance].spend(scope, limit: limit).allowed) }
        }
        var admitted = Array(repeating: 0, count: instances.count)
        for await (instance, allowed) in group where allowed { admitted[instance] += 1 }
        return admitted
    }
}

private func instances(_ count: Int, sharing store: any BudgetStore) -> [RequestBudgets] {
    (0..<count).map { _ in RequestBudgets(store: store, metrics: nil, logger: Logger(label: "test")) }
}

@Suite("Request budgets: leased slices shared by instances")
struct RequestBudgetsTests {
    @Test("three instances hit at once admit exactly the budget together, never more")
    func threeInstancesAdmitTheBudget() async throws {
        let store = SharedStoreInMemory()
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let admitted = await burst(instances(3, sharing: store), scope: scope, limit: 600, requests: 4000)
        #expect(admitted.reduce(0, +) == 600)
        // Each instance got a share (round robin), and leasing cost a statement per slice or so,
        // not one per request.
        #expect(admitted.allSatisfy { $0 > 0 })
        #expect(store.statements.withLockedValue { $0 } < 200)
    }

    @Test("a team's budget is shared by its keys on every instance")
    func teamBudgetIsShared() async throws {
        let store = SharedStoreInMemory()
        let team = RequestBudgets.Scope(kind: .team, id: UUID())
        let nodes = instances(3, sharing: store)
        async let first = burst(nodes, scope: team, limit: 300, requests: 1000)
        async let second = burst(nodes.reversed(), scope: team, limit: 300, requests: 1000)
        let total = await first.reduce(0, +) + second.reduce(0, +)
        #expect(total == 300)
    }

    @Test("an instance that dies holding a slice loses it for the window; nobody spends it twice")
    func deadInstanceLosesItsSlice() async throws {
        let store = SharedStoreInMemory()
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        var nodes = instances(3, sharing: store)
        // The first instance leases a slice (12 of 600) and spends one, then is gone.
        #expect(await nodes[0].spend(scope, limit: 600).allowed)
        nodes.removeFirst()
        let admitted = await burst(nodes, scope: scope, limit: 600, requests: 2000)
        #expect(admitted.reduce(0, +) == 600 - 12)
    }

    @Test(
        "unspent requests go back to the store when an instance falls idle near the budget's end, for the others to spend"
    )
    func idleSlicesGoBack() async throws {
        let store = SharedStoreInMemory()
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let nodes = instances(2, sharing: store)
        #expect(await burst([nodes[1]], scope: scope, limit: 100, requests: 91) == [91])
        // The other leases a slice of 2 with less than a tenth left, spends one, falls idle.
        #expect(await nodes[0].spend(scope, limit: 100).allowed)
        try await Task.sleep(for: .milliseconds(5))
        #expect(await nodes[0].returnIdle(for: .milliseconds(1)) == 1)
        #expect(await burst([nodes[1]], scope: scope, limit: 100, requests: 50) == [8])
    }

    @Test("a key used now and then keeps its slice: no lease and give-back per request")
    func quietKeyKeepsItsSlice() async throws {
        let store = SharedStoreInMemory()
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let node = RequestBudgets(store: store, metrics: nil, logger: Logger(label: "test"))
        for _ in 0..<5 {
            #expect(await node.spend(scope, limit: 6000).allowed)
            // Idle for longer than `quiet`, with nearly all of the budget left in the store.
            try await Task.sleep(for: .milliseconds(3))
            #expect(await node.returnIdle(for: .milliseconds(1)) == 0)
        }
        #expect(store.statements.withLockedValue { $0 } == 1)
    }

    @Test("a request refused by its team's budget gives its key's token back only into the window it came from")
    func refundStaysInItsWindow() async throws {
        let store = SharedStoreInMemory(delay: .zero)
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let node = RequestBudgets(store: store, window: .seconds(3), metrics: nil, logger: Logger(label: "test"))
        let spentEarlier = await node.spend(scope, limit: 3)
        #expect(spentEarlier.allowed)
        try await Task.sleep(for: .milliseconds(3100))
        let windowBegan = ContinuousClock.now
        let spent = await node.spend(scope, limit: 3)  // a new window
        #expect(spent.allowed && spent.window != spentEarlier.window)
        node.refund(scope, spent: spentEarlier)  // void: its window is over
        let admitted = await burst([node], scope: scope, limit: 3, requests: 5)
        // (Unless a busy machine let this window end too.)
        if ContinuousClock.now - windowBegan < .milliseconds(2500) { #expect(admitted == [2]) }
    }

    @Test("a spent budget refuses without asking the store again until its window ends, unless it was raised")
    func spentBudgetCostsNoStatements() async throws {
        let store = SharedStoreInMemory()
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let node = RequestBudgets(store: store, metrics: nil, logger: Logger(label: "test"))
        for _ in 0..<5 { _ = await node.spend(scope, limit: 5) }
        let spent = store.statements.withLockedValue { $0 }
        for _ in 0..<100 {
            let refused = await node.spend(scope, limit: 5)
            #expect(!refused.allowed)
            #expect(refused.remaining == 0)
            #expect((1...60).contains(refused.resetSeconds))
        }
        #expect(store.statements.withLockedValue { $0 } == spent)
        // An admin raised it: the next request asks and is admitted.
        #expect(await node.spend(scope, limit: 8).allowed)
    }

    @Test("a window that ends refills the budget")
    func windowRefills() async throws {
        let store = SharedStoreInMemory(delay: .zero)
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let node = RequestBudgets(
            store: store, window: .seconds(4), metrics: nil, logger: Logger(label: "test"))
        let started = ContinuousClock.now
        for _ in 0..<3 { #expect(await node.spend(scope, limit: 3).allowed) }
        let refused = await node.spend(scope, limit: 3)
        // (Unless a machine busy with the other suites took the whole window for four calls.)
        if ContinuousClock.now - started < .seconds(3) {
            #expect(!refused.allowed)
            #expect((1...4).contains(refused.resetSeconds))
        }
        try await Task.sleep(for: .milliseconds(4100))
        #expect(await node.spend(scope, limit: 3).allowed)
    }

    @Test("when the store does not answer, an instance admits one slice a second on its own")
    func storeFailureAdmitsASlice() async throws {
        struct Down: BudgetStore {
            struct Unreachable: Error {}
            func lease(scope: String, want: Int, limit: Int, windowMilliseconds: Int64) async throws -> BudgetLease {
                throw Unreachable()
            }
            func giveBack(scope: String, count: Int, window: Int64) async throws { throw Unreachable() }
        }
        let node = RequestBudgets(store: Down(), metrics: nil, logger: Logger(label: "test"))
        let scope = RequestBudgets.Scope(kind: .key, id: UUID())
        let started = ContinuousClock.now
        let admitted = await burst([node], scope: scope, limit: 600, requests: 100)
        let seconds = Double((ContinuousClock.now - started).components.seconds)
        // A slice of 12 a second (a burst slowed by a busy machine may span a second or more).
        #expect(admitted[0] >= 12 && admitted[0] <= 12 * (Int(seconds) + 1))
        if seconds < 0.9 { #expect(admitted == [12]) }
    }

    @Test(
        "the store the server uses grants a budget exactly once across instances (PostgreSQL's statement, SQLite's memory)"
    )
    func serversStore() async throws {
        try await withKagibag { app in
            let store: any BudgetStore =
                testingOnPostgres ? SQLBudgetStore(database: { [app] in app.db }) : LocalBudgetStore()
            let scope = RequestBudgets.Scope(kind: .key, id: UUID())
            let admitted = await burst(instances(3, sharing: store), scope: scope, limit: 600, requests: 3000)
            #expect(admitted.reduce(0, +) == 600)
            // SQLite's store hands one instance the whole budget at once: nothing to give back.
            guard testingOnPostgres else { return }
            // Given back into the same window, and spent again by another instance.
            let nodes = instances(2, sharing: store)
            let team = RequestBudgets.Scope(kind: .team, id: UUID())
            #expect(await burst([nodes[1]], scope: team, limit: 100, requests: 91) == [91])
            #expect(await nodes[0].spend(team, limit: 100).allowed)  // holds 1 more of its slice of 2
            try await Task.sleep(for: .milliseconds(5))
            #expect(await nodes[0].returnIdle(for: .milliseconds(1)) == 1)
            #expect(await burst([nodes[1]], scope: team, limit: 100, requests: 50) == [8])
        }
    }
}
