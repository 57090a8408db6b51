import Fluent
import Foundation
import SQLKit
import WebhookCore

/// What a lane's batch came to, written in one transaction: each attempt, each message's state
/// and next try, and the endpoint's failing streak (paused after three days of it).
extension WebhookWorker {
    func record(_ outcomes: [(Message, Outcome)], endpoint: WebhookEndpoint, on db: any Database) async throws {
        guard !outcomes.isEmpty else { return }
        let now = Date()
        let endpointID = endpoint.id!
        try await db.transaction { db in
            var insert = db.sql.insert(into: "webhook_attempts")
                .columns("id", "message_id", "endpoint_id", "at", "status", "latency_ms", "error", "response")
            for (message, outcome) in outcomes {
                insert = insert.values(
                    SQLBind(UUID.v7()), SQLBind(message.id), SQLBind(endpointID), SQLBind(now),
                    SQLBind(outcome.status), SQLBind(outcome.latencyMilliseconds), SQLBind(outcome.error),
                    SQLBind(outcome.response))
            }
            try await insert.run()
            for (message, outcome) in outcomes {
                let attempts = message.attempts + 1
                if outcome.delivered {
                    try await db.sql.raw(
                        """
                        UPDATE webhook_messages SET state = 'delivered', attempts = \(bind: attempts),
                          delivered_at = \(bind: now), next_attempt_at = NULL, last_status = \(bind: outcome.status),
                          last_latency_ms = \(bind: outcome.latencyMilliseconds), last_error = NULL
                        WHERE id = \(bind: message.id) AND endpoint_id = \(bind: endpointID)
                        """
                    ).run()
                } else {
                    let wait = RetrySchedule.wait(afterFailedAttempts: attempts, random: Double.random(in: 0..<1))
                    try await db.sql.raw(
                        """
                        UPDATE webhook_messages SET state = \(bind: wait == nil ? "failed" : "pending"),
                          attempts = \(bind: attempts), next_attempt_at = \(bind: wait.map { now.addingTimeInterval($0) }),
                          last_status = \(bind: outcome.status), last_latency_ms = \(bind: outcome.latencyMilliseconds),
                          last_error = \(bind: outcome.error)
                        WHERE id = \(bind: message.id) AND endpoint_id = \(bind: endpointID)
                        """
                    ).run()
                }
            }
            // A lane ends at its first failure: its last outcome says how the endpoint is doing
            // (failing since now when something before it got through).
            let delivered = outcomes.contains { $0.1.delivered }
            if outcomes.last!.1.delivered {
                if endpoint.failingSince != nil {
                    try await db.sql.raw(
                        "UPDATE webhook_endpoints SET failing_since = NULL WHERE id = \(bind: endpointID)"
                    )
                    .run()
                }
            } else if delivered {
                try await db.sql.raw(
                    "UPDATE webhook_endpoints SET failing_since = \(bind: now) WHERE id = \(bind: endpointID)"
                )
                .run()
            } else if let since = endpoint.failingSince {
                if now.timeIntervalSince(since) >= Self.failingPause {
                    let paused = try await db.sql.raw(
                        """
                        UPDATE webhook_endpoints SET paused_at = \(bind: now), paused_reason = 'failing'
                        WHERE id = \(bind: endpointID) AND paused_at IS NULL RETURNING id
                        """
                    ).first()
                    if paused != nil {
                        try await Audit.record(
                            .webhookPaused, team: endpoint.teamID, by: nil, actor: "Kagibag",
                            "paused webhook endpoint \(endpoint.url): every delivery failed for 3 days", on: db)
                    }
                }
            } else {
                try await db.sql.raw(
                    "UPDATE webhook_endpoints SET failing_since = \(bind: now) WHERE id = \(bind: endpointID) AND failing_since IS NULL"
                ).run()
            }
        }
        for (_, outcome) in outcomes { metrics?.webhookDelivery(outcome.delivered ? "delivered" : "failed") }
    }
}

extension WebhookEndpoint {
    static func find(_ id: UUID, on db: any Database) async throws -> WebhookEndpoint? {
        try await WebhookEndpoint.query(on: db).filter(\.$id == id).first()
    }
}
