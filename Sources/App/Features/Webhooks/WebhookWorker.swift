import AsyncHTTPClient
import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import SQLKit
import Vapor
import WebhookCore

/// Delivers the outbox: on every instance, every `poll`, it takes endpoints with due messages
/// that no instance is delivering to (on PostgreSQL `FOR UPDATE SKIP LOCKED`; a lane lapses after
/// `claimFor`, so what an instance was delivering when it died goes out from another) and
/// delivers each one's messages in order, in a lane of its own: a slow endpoint holds only itself.
final class WebhookWorker: LifecycleHandler, Sendable {
    struct Message: Sendable {
        let id: UUID
        let endpoint: UUID
        let type: String
        let payload: String
        let attempts: Int
    }

    /// What one delivery attempt came to (an `Error` too: a lane refused before any attempt).
    struct Outcome: Sendable, Error {
        var status: Int?
        var latencyMilliseconds: Double
        var error: String?
        var response: String?
        var delivered: Bool { status.map { (200...299).contains($0) } ?? false }
    }

    static let timeout: TimeAmount = .seconds(10)
    /// Longer than a delivery can take (its timeout and the address lookup).
    static let claimFor: TimeInterval = 60
    static let batch = 32
    /// Lanes (endpoints delivered to at once) per instance.
    static let lanes = 8
    static let keptResponse = 64 * 1024
    /// An endpoint failing this long is paused, with a notice on the Admin pages.
    static let failingPause: TimeInterval = 3 * 86400
    static let userAgent = "Kagibag-Webhooks/\(CommandLinePlan.version)"
    /// While the instance is saturated a lane waits before each batch, at most this long after
    /// its previous one: the API keeps the CPU, each endpoint still gets a batch a second, and
    /// the backlog goes out at full speed once the burst is over.
    static let mostGivenWay: Duration = .seconds(1)

    let settings: Settings
    let poll: Duration
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// Endpoints with a lane running on this instance.
    private let busy = NIOLockedValueBox<Set<UUID>>([])
    let metrics: Metrics?
    /// Nil: never gives way (tests drive the worker themselves).
    let load: Load?

    init(settings: Settings, metrics: Metrics?, load: Load? = nil) {
        self.settings = settings
        self.metrics = metrics
        self.load = load
        poll = .milliseconds(Int64(settings.webhookPollSeconds * 1000))
    }

    func didBootAsync(_ application: Application) async throws {
        let db = application.db
        let logger = application.logger
        let group = application.eventLoopGroup
        task.withLockedValue {
            $0 = Task.detached { [self] in
                // Discarding: a server runs lanes for months, and a plain group keeps every finished
                // child until it is awaited.
                await withDiscardingTaskGroup { lanes in
                    var measured = ContinuousClock.now - .seconds(60)
                    while !Task.isCancelled {
                        if ContinuousClock.now - measured >= .seconds(5) {
                            measured = ContinuousClock.now
                            await measureOutbox(on: db)
                        }
                        do {
                            for (endpoint, messages) in try await claim(on: db) {
                                lanes.addTask { [self] in
                                    await deliver(messages, to: endpoint, on: db, group: group, logger: logger)
                                }
                            }
                        } catch {
                            logger.warning(
                                "webhook claim failed; will retry",
                                metadata: ["error": "\(String(reflecting: type(of: error)))"])
                        }
                        do { try await Task.sleep(for: poll) } catch { break }
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

    /// Takes endpoints with due messages that no instance is delivering to (on PostgreSQL
    /// `FOR UPDATE SKIP LOCKED`: two instances never take the same one), and each one's due
    /// messages in order; marks those endpoints busy here.
    func claim(on db: any Database, now: Date = Date()) async throws -> [(UUID, [Message])] {
        let free = Self.lanes - busy.withLockedValue { $0.count }
        guard free > 0 else { return [] }
        let skipping = busy.withLockedValue { Array($0) }
        var select: SQLQueryString = """
            SELECT w.id FROM webhook_endpoints w
            WHERE w.paused_at IS NULL AND (w.lane_until IS NULL OR w.lane_until < \(bind: now))
              AND EXISTS (SELECT 1 FROM webhook_messages m
                          WHERE m.endpoint_id = w.id AND m.state = 'pending' AND m.next_attempt_at <= \(bind: now))
            """
        if !skipping.isEmpty { select += " AND w.id NOT IN (\(binds: skipping))" }
        select += " ORDER BY w.id LIMIT \(literal: free)"
        if db.sql.dialect.name == "postgresql" { select += " FOR UPDATE SKIP LOCKED" }
        let endpoints = try await db.sql.raw(
            """
            UPDATE webhook_endpoints SET lane_until = \(bind: now.addingTimeInterval(Self.claimFor))
            WHERE id IN (\(select)) RETURNING id
            """
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
        var lanes: [(UUID, [Message])] = []
        for endpoint in endpoints.sorted(by: <) {
            let messages = try await due(of: endpoint, now: now, on: db)
            guard !messages.isEmpty else {
                try await release(endpoint, on: db)
                continue
            }
            busy.withLockedValue { _ = $0.insert(endpoint) }
            lanes.append((endpoint, messages))
        }
        return lanes
    }

    /// Waits while the instance is saturated with requests, until `mostGivenWay` after `last`.
    private func giveWay(since last: ContinuousClock.Instant) async {
        guard let load else { return }
        while load.isSaturated, ContinuousClock.now - last < Self.mostGivenWay, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Delivers `messages` to `endpoint` one after another, recording each attempt; the
    /// endpoint's lane (taken by `claim`) is free again afterwards.
    func deliver(
        _ messages: [Message], to endpointID: UUID, on db: any Database, group: any EventLoopGroup, logger: Logger
    ) async {
        defer { busy.withLockedValue { _ = $0.remove(endpointID) } }
        do {
            guard let endpoint = try await WebhookEndpoint.find(endpointID, on: db), endpoint.pausedAt == nil else {
                try await release(endpointID, on: db)
                return
            }
            // The address is checked once per lane (a lane lasts seconds): its messages share the
            // connection instead of a handshake each.
            let client: HTTPClient
            switch await self.client(for: endpoint, group: group) {
            case .success(let made): client = made
            case .failure(let refused):
                try await record([(messages[0], refused)], endpoint: endpoint, on: db)
                try await release(endpointID, on: db)
                return
            }
            // While the endpoint keeps up, the lane goes on with the next batch at once (a busy
            // endpoint is not held to a batch per poll); it ends at a failure, when nothing more is
            // due, or at shutdown (a delivery cut short by it is not recorded: it goes out again).
            var batch = messages
            var renewed = ContinuousClock.now
            var lastBatch = ContinuousClock.now - Self.mostGivenWay
            lane: while true {
                await giveWay(since: lastBatch)
                lastBatch = ContinuousClock.now
                var outcomes: [(Message, Outcome)] = []
                var failed = false
                do {
                    for message in batch {
                        if ContinuousClock.now - renewed > .seconds(20) {
                            renewed = ContinuousClock.now
                            try await renew(endpointID, on: db)
                        }
                        let outcome = await send(message, to: endpoint, with: client)
                        if Task.isCancelled { break }
                        outcomes.append((message, outcome))
                        // The rest wait for the next round (a failing endpoint is not hammered, and a
                        // later message about the same object stays behind the one that failed).
                        if !outcome.delivered {
                            failed = true
                            break
                        }
                    }
                    // Written once per batch (after a crash before this, its messages go out again,
                    // with the same ids: at least once).
                    try await record(outcomes, endpoint: endpoint, on: db)
                } catch {
                    try? await client.shutdown()
                    throw error
                }
                guard !failed, !Task.isCancelled, batch.count == Self.batch else { break lane }
                // A long lane (a backlog, or giving way under load) must not go on sending to an
                // endpoint an admin paused, moved or gave a new secret meanwhile: the next claim
                // starts afresh from what it is now.
                guard let now = try await WebhookEndpoint.find(endpointID, on: db), now.pausedAt == nil,
                    now.url == endpoint.url, now.secret == endpoint.secret,
                    now.previousSecret == endpoint.previousSecret
                else { break lane }
                renewed = ContinuousClock.now
                try await renew(endpointID, on: db)
                batch = try await due(of: endpointID, on: db)
                if batch.isEmpty { break lane }
            }
            try? await client.shutdown()
            try await release(endpointID, on: db)
        } catch {
            logger.warning(
                "webhook delivery bookkeeping failed; the lane lapses and another try follows",
                metadata: ["error": "\(String(reflecting: type(of: error)))"])
        }
    }
}
