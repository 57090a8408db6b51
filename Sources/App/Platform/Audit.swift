import Fluent
import Foundation
import KagibagSQL
import SQLKit

/// The team's audit trail: written in the same transaction as the change it records.
enum Audit {
    /// Records an entry; part of the caller's transaction when given one. Without a user the
    /// actor is `actor` ("command line" for operator commands, "Kagibag" for what the server
    /// does on its own, an API key's name for what a key does).
    static func record(
        _ action: AuditEvent.Action, team: UUID, by user: User?, actor: String = "command line", _ summary: String,
        on db: any Database
    ) async throws {
        let who = user.map { AuditActor.person($0, address: nil, requestID: nil) } ?? .named(actor)
        try await record(action, team: team, by: who, summary, on: db)
    }

    enum InsertStatement: PreparedStatementName { static let preparedName = "kagibag_audit_insert" }

    /// Records what `actor` did (a person or an API key, from where, in which request), with the
    /// fields it changed and the event it is about; part of the caller's transaction.
    static func record(
        _ action: AuditEvent.Action, team: UUID, by actor: AuditActor, _ summary: String,
        changes: [AuditChange] = [], event: UUID? = nil, on db: any Database
    ) async throws {
        let insert = try insert(action, team: team, by: actor, summary, changes: changes, event: event)
        try await db.sql.execute(sql: FixedPlan(insert, preparedAs: InsertStatement.self)) { _ in }
    }

    /// The statement that records an entry, for a store that writes it together with its change
    /// (`Database.together`). Written beside every API write: one statement of a fixed shape,
    /// not Fluent's model insert, which cost more than the write.
    static func insert(
        _ action: AuditEvent.Action, team: UUID, by actor: AuditActor, _ summary: String,
        changes: [AuditChange] = [], event: UUID? = nil
    ) throws -> SQLQueryString {
        let changed = changes.isEmpty ? nil : String(decoding: try JSONEncoder().encode(changes), as: UTF8.self)
        return """
            INSERT INTO audit_events (id, team_id, actor_id, actor, action, summary, created_at, key_id, key_last_four,
              client_address, request_id, changes, event_id)
            VALUES (\(bind: UUID.v7()), \(bind: team), \(bind: actor.user?.id), \(bind: actor.name),
              \(bind: action.rawValue), \(bind: summary), \(bind: Date()), \(bind: actor.keyID), \(bind: actor.keyLastFour),
              \(bind: actor.address), \(bind: actor.requestID), \(bind: changed), \(bind: event))
            """
    }

    /// `record` as a store's `audit:` step, run inside the store's transaction.
    static func entry(
        _ action: AuditEvent.Action, team: UUID, by user: User?, _ summary: String
    ) -> @Sendable (any Database) async throws -> Void {
        { db in try await record(action, team: team, by: user, summary, on: db) }
    }
}
