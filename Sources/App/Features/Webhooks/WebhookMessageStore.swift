import Fluent
import Foundation
import SQLKit

/// An endpoint's messages and their attempts, for its pages; sending again.
enum WebhookMessageStore {
    struct Row: Sendable {
        let id: UUID
        let type, state, payload: String
        let createdAt: Date
        let attempts: Int
        let nextAttemptAt: Date?
        let lastStatus: Int?
        let lastLatency: Double?
        let lastError: String?
    }

    struct Attempt: Sendable {
        let at: Date
        let status: Int?
        let latency: Double
        let error, response: String?
    }

    static let pageSize = 50

    private static let columns =
        "id, type, state, payload, created_at, attempts, next_attempt_at, last_status, last_latency_ms, last_error"

    /// The endpoint's newest messages, newest first.
    static func recent(of endpoint: UUID, on db: any Database) async throws -> [Row] {
        try await db.sql.raw(
            """
            SELECT \(unsafeRaw: columns) FROM webhook_messages WHERE endpoint_id = \(bind: endpoint)
            ORDER BY id DESC LIMIT \(literal: pageSize)
            """
        ).all().map(row)
    }

    static func find(_ id: String?, of endpoint: UUID, on db: any Database) async throws -> Row {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let found = try await db.sql.raw(
                """
                SELECT \(unsafeRaw: columns) FROM webhook_messages WHERE id = \(bind: id) AND endpoint_id = \(bind: endpoint)
                """
            ).first()
        else { throw DomainError.notFound("There is no such message for this endpoint.") }
        return try row(found)
    }

    static func attempts(of message: UUID, endpoint: UUID, on db: any Database) async throws -> [Attempt] {
        try await db.sql.raw(
            """
            SELECT at, status, latency_ms, error, response FROM webhook_attempts
            WHERE endpoint_id = \(bind: endpoint) AND message_id = \(bind: message) ORDER BY id DESC LIMIT 100
            """
        ).all().map {
            Attempt(
                at: try $0.decode(column: "at", as: Date.self), status: try $0.decode(column: "status", as: Int?.self),
                latency: try $0.decode(column: "latency_ms", as: Double.self),
                error: try $0.decode(column: "error", as: String?.self),
                response: try $0.decode(column: "response", as: String?.self))
        }
    }

    /// Sends the message again now, with a fresh round of retries (same `webhook-id`), and says
    /// so in Activity (it sends the team's data to the URL once more).
    static func resend(
        _ message: Row, to endpoint: WebhookEndpoint, by user: User, now: Date = Date(), on db: any Database
    ) async throws {
        try await db.transaction { db in
            // Gone meanwhile (the endpoint deleted, the message purged): nothing sent, nothing to record.
            guard
                try await db.sql.raw(
                    """
                    UPDATE webhook_messages SET state = 'pending', attempts = 0, next_attempt_at = \(bind: now)
                    WHERE id = \(bind: message.id) AND endpoint_id = \(bind: endpoint.id!) RETURNING id
                    """
                ).first() != nil
            else { return }
            try await Audit.record(
                .webhookResent, team: endpoint.teamID, by: user,
                "sent the \(message.type) message \(WebhookWorker.webhookID(message.id)) again to webhook endpoint \(endpoint.url)",
                on: db)
        }
    }

    /// Sends again everything created since `since` (for an integration that was down), in
    /// Activity as `span` says ("the last 24 hours"); returns how many.
    static func replay(
        to endpoint: WebhookEndpoint, since: Date, span: String, by user: User, now: Date = Date(),
        on db: any Database
    ) async throws -> Int {
        try await db.transaction { db in
            let count = try await db.sql.raw(
                """
                UPDATE webhook_messages SET state = 'pending', attempts = 0, next_attempt_at = \(bind: now)
                WHERE endpoint_id = \(bind: endpoint.id!) AND created_at >= \(bind: since) AND type <> 'webhook.test'
                RETURNING id
                """
            ).all().count
            if count > 0 {
                try await Audit.record(
                    .webhookResent, team: endpoint.teamID, by: user,
                    "sent \(count == 1 ? "1 message" : "\(count) messages") of \(span) again to webhook endpoint \(endpoint.url)",
                    on: db)
            }
            return count
        }
    }

    /// Queues a `webhook.test` message for this endpoint alone, whatever it subscribed to.
    static func sendTest(to endpoint: WebhookEndpoint, by user: User, now: Date = Date(), on db: any Database)
        async throws
    {
        var data = JSONWriter(capacity: 256)
        data.raw("{")
        data.key("endpoint_id", first: true); data.string(endpoint.id!.lowercasedString)
        data.key("sent_by"); data.string(user.name)
        data.raw("}")
        let payload = WebhookOutbox.payload(.test, at: now, data: String(decoding: data.bytes, as: UTF8.self))
        try await db.sql.raw(
            """
            INSERT INTO webhook_messages (id, endpoint_id, team_id, type, object_id, payload, created_at, state, attempts,
              next_attempt_at)
            VALUES (\(bind: UUID.v7()), \(bind: endpoint.id!), \(bind: endpoint.teamID), 'webhook.test', NULL,
              \(bind: payload), \(bind: now), 'pending', 0, \(bind: now))
            """
        ).run()
        try await Audit.record(
            .webhookTested, team: endpoint.teamID, by: user, "sent a test message to webhook endpoint \(endpoint.url)",
            on: db)
    }

    private static func row(_ row: any SQLRow) throws -> Row {
        Row(
            id: try row.decode(column: "id", as: UUID.self), type: try row.decode(column: "type", as: String.self),
            state: try row.decode(column: "state", as: String.self),
            payload: try row.decode(column: "payload", as: String.self),
            createdAt: try row.decode(column: "created_at", as: Date.self),
            attempts: try row.decode(column: "attempts", as: Int.self),
            nextAttemptAt: try row.decode(column: "next_attempt_at", as: Date?.self),
            lastStatus: try row.decode(column: "last_status", as: Int?.self),
            lastLatency: try row.decode(column: "last_latency_ms", as: Double?.self),
            lastError: try row.decode(column: "last_error", as: String?.self))
    }
}
