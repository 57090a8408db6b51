import Fluent
import Foundation
import SQLKit

/// Queues webhook messages in the transaction of the change they tell about: the change and
/// its messages commit together or not at all, and a worker delivers them afterwards (no
/// request waits for a delivery).
enum WebhookOutbox {
    /// The statement that queues one message of `type` about `object` for every endpoint of
    /// `team` that wants it and is not paused: one `INSERT … SELECT`, whatever the number of
    /// endpoints (none: it inserts nothing).
    static func enqueue(
        _ type: WebhookEventType, team: UUID, object: UUID?, data: String, id: UUID = UUID.v7(), now: Date = Date()
    ) -> SQLQueryString {
        let payload = self.payload(type, at: now, data: data)
        return """
            INSERT INTO webhook_messages (id, endpoint_id, team_id, type, object_id, payload, created_at, state, attempts,
              next_attempt_at)
            SELECT \(bind: id), id, team_id, \(bind: type.rawValue), \(bind: object), \(bind: payload), \(bind: now),
              'pending', 0, \(bind: now)
            FROM webhook_endpoints
            WHERE team_id = \(bind: team) AND paused_at IS NULL
              AND (event_types = '*' OR ',' || event_types || ',' LIKE \(bind: "%," + type.rawValue + ",%"))
            """
    }

    /// Queues a message as part of the caller's transaction.
    static func record(
        _ type: WebhookEventType, team: UUID, object: UUID?, data: String, on db: any Database
    ) async throws {
        try await db.sql.raw(enqueue(type, team: team, object: object, data: data)).run()
    }

    /// `{"type", "timestamp", "data"}`: what every message's body is.
    static func payload(_ type: WebhookEventType, at date: Date, data: String) -> String {
        var json = JSONWriter(capacity: 256 + data.utf8.count)
        json.raw("{")
        json.key("type", first: true); json.string(type.rawValue)
        json.key("timestamp"); json.date(date)
        json.key("data")
        return String(decoding: json.bytes, as: UTF8.self) + data + "}"
    }

    /// What a deletion tells: the id, and for an attendee its event's.
    static func deleted(id: UUID, event: UUID? = nil) -> String {
        var json = JSONWriter(capacity: 128)
        json.raw("{")
        json.key("id", first: true); json.string(id.lowercasedString)
        if let event { json.key("event_id"); json.string(event.lowercasedString) }
        json.raw("}")
        return String(decoding: json.bytes, as: UTF8.self)
    }
}
