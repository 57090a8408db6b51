import Fluent
import Foundation
import SQLKit

/// The worker's reads and writes of the outbox outside a delivery: an endpoint's next batch, its
/// lane held and let go, and the outbox's depth for `/metrics`.
extension WebhookWorker {
    /// The outbox's depth and its oldest waiting message's age, for `/metrics`: read from the
    /// pending messages' index (each endpoint's first waiting message is its oldest: ids are
    /// UUIDv7), never from every waiting row.
    func measureOutbox(on db: any Database, now: Date = Date()) async {
        guard let metrics,
            let row = try? await db.sql.raw(
                """
                SELECT (SELECT COUNT(*) FROM webhook_messages WHERE state = 'pending') AS n,
                  (SELECT MIN(oldest) FROM
                    (SELECT (SELECT m.created_at FROM webhook_messages m
                             WHERE m.endpoint_id = w.id AND m.state = 'pending' ORDER BY m.id LIMIT 1) AS oldest
                     FROM webhook_endpoints w) firsts) AS oldest
                """
            ).first()
        else { return }
        let pending = (try? row.decode(column: "n", as: Int.self)) ?? 0
        let oldest = (try? row.decode(column: "oldest", as: Date?.self)) ?? nil
        metrics.webhookOutbox(pending: pending, oldestAge: oldest.map { max(0, now.timeIntervalSince($0)) } ?? 0)
    }

    /// The endpoint's due messages in order (at most a batch): due, and not behind an earlier
    /// message about the same object that waits for a retry.
    func due(of endpoint: UUID, now: Date = Date(), on db: any Database) async throws -> [Message] {
        try await db.sql.raw(
            """
            SELECT m.id, m.type, m.payload, m.attempts FROM webhook_messages m
            WHERE m.endpoint_id = \(bind: endpoint) AND m.state = 'pending' AND m.next_attempt_at <= \(bind: now)
              AND NOT EXISTS (SELECT 1 FROM webhook_messages e
                              WHERE e.endpoint_id = m.endpoint_id AND e.object_id = m.object_id
                                AND e.state = 'pending' AND e.id < m.id AND e.next_attempt_at > \(bind: now))
            ORDER BY m.id LIMIT \(literal: Self.batch)
            """
        ).all().map { row in
            Message(
                id: try row.decode(column: "id", as: UUID.self), endpoint: endpoint,
                type: try row.decode(column: "type", as: String.self),
                payload: try row.decode(column: "payload", as: String.self),
                attempts: try row.decode(column: "attempts", as: Int.self))
        }
    }

    /// Holds the endpoint's lane for another `claimFor`.
    func renew(_ endpoint: UUID, on db: any Database) async throws {
        try await db.sql.raw(
            """
            UPDATE webhook_endpoints SET lane_until = \(bind: Date().addingTimeInterval(Self.claimFor))
            WHERE id = \(bind: endpoint)
            """
        ).run()
    }

    /// Lets any instance deliver to `endpoint` again.
    func release(_ endpoint: UUID, on db: any Database) async throws {
        try await db.sql.raw("UPDATE webhook_endpoints SET lane_until = NULL WHERE id = \(bind: endpoint)").run()
    }
}
