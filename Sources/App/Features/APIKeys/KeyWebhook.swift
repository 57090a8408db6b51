import Fluent
import Foundation

/// What webhook messages about keys carry: who and which key, never a secret or a digest.
enum KeyWebhook {
    /// Queues `type` about the key as part of the caller's transaction.
    static func record(
        _ type: WebhookEventType, key: UUID, name: String, lastFour: String, team: UUID, by actor: String,
        at date: Date = Date(), expiresAt: Date? = nil, on db: any Database
    ) async throws {
        var json = JSONWriter(capacity: 256)
        json.raw("{")
        json.key("id", first: true); json.string(key.lowercasedString)
        json.key("name"); json.string(name)
        json.key("last_four"); json.string(lastFour)
        json.key("by"); json.string(actor)
        json.key("at"); json.date(date)
        if let expiresAt { json.key("expires_at"); json.date(expiresAt) }
        json.raw("}")
        try await WebhookOutbox.record(
            type, team: team, object: key, data: String(decoding: json.bytes, as: UTF8.self), on: db)
    }

    static func record(_ type: WebhookEventType, _ key: APIKey, by actor: String, on db: any Database) async throws {
        try await record(
            type, key: key.id!, name: key.name, lastFour: key.lastFour, team: key.$team.id, by: actor, on: db)
    }
}
