import Fluent
import Foundation

/// The team's audit trail: written in the same transaction as the change it records.
enum Audit {
    /// Records an entry; part of the caller's transaction when given one. Without a user the
    /// actor is `actor` ("command line" for operator commands, "Kagibag" for what the server
    /// does on its own, an API key's name for what a key does).
    static func record(
        _ action: AuditEvent.Action, team: UUID, by user: User?, actor: String = "command line", _ summary: String,
        on db: any Database
    ) async throws {
        try await AuditEvent(
            teamID: team, actorID: user?.id, actor: user?.name ?? actor, action: action, summary: summary
        )
        .create(on: db)
    }

    /// Records what `actor` did (a person or an API key, from where, in which request), with the
    /// fields it changed and the event it is about; part of the caller's transaction.
    static func record(
        _ action: AuditEvent.Action, team: UUID, by actor: AuditActor, _ summary: String,
        changes: [AuditChange] = [], event: UUID? = nil, on db: any Database
    ) async throws {
        let entry = AuditEvent(
            teamID: team, actorID: actor.user?.id, actor: actor.name, action: action, summary: summary)
        entry.keyID = actor.keyID
        entry.keyLastFour = actor.keyLastFour
        entry.clientAddress = actor.address
        entry.requestID = actor.requestID
        entry.eventID = event
        if !changes.isEmpty { entry.changes = String(decoding: try JSONEncoder().encode(changes), as: UTF8.self) }
        try await entry.create(on: db)
    }

    /// `record` as a store's `audit:` step, run inside the store's transaction.
    static func entry(
        _ action: AuditEvent.Action, team: UUID, by user: User?, _ summary: String
    ) -> @Sendable (any Database) async throws -> Void {
        { db in try await record(action, team: team, by: user, summary, on: db) }
    }

    /// A page of the team's entries, newest first, older than `before` when given.
    static func page(team: UUID, before: UUID?, limit: Int, on db: any Database) async throws -> [AuditEvent] {
        let query = AuditEvent.query(on: db).filter(\.$teamID == team)
        if let before { query.filter(\.$id < before) }
        return try await query.sort(\.$id, .descending).limit(limit).all()
    }
}
