import Fluent
import Foundation
import SQLKit

/// Webhook messages that are done (delivered, or failed for good) and every attempt are kept
/// 30 days, for the deliveries pages and Replay; then deleted in batches.
enum WebhookRetention {
    static let days = 30

    static func purge(on db: any Database, limit: Int) async throws -> Int {
        let cutoff = Date().addingTimeInterval(-TimeInterval(days) * 86400)
        let attempts = try await db.sql.raw(
            """
            DELETE FROM webhook_attempts WHERE id IN
              (SELECT id FROM webhook_attempts WHERE at < \(bind: cutoff) LIMIT \(literal: limit)) RETURNING id
            """
        ).all().count
        let messages = try await db.sql.raw(
            """
            DELETE FROM webhook_messages WHERE (id, endpoint_id) IN
              (SELECT id, endpoint_id FROM webhook_messages
               WHERE state <> 'pending' AND created_at < \(bind: cutoff) LIMIT \(literal: limit))
            RETURNING id
            """
        ).all().count
        return max(attempts, messages)
    }
}
