import Fluent
import Foundation
import SQLKit
import WebhookCore

/// A team's webhook endpoints: the only place that reads or changes them.
enum WebhookStore {
    /// At most this many endpoints per team.
    static let maximumEndpoints = 20
    /// After a roll, the old secret signs beside the new one this long.
    static let rollOverlap: TimeInterval = 24 * 3600
    static let maximumDescription = 500

    static let notFound = DomainError.notFound("There is no such webhook endpoint in this team.")

    static func list(team: UUID, on db: any Database) async throws -> [WebhookEndpoint] {
        try await WebhookEndpoint.query(on: db).filter(\.$teamID == team).sort(\.$createdAt).sort(\.$id).all()
    }

    static func count(team: UUID, on db: any Database) async throws -> Int {
        try await WebhookEndpoint.query(on: db).filter(\.$teamID == team).count()
    }

    /// The team's endpoint by the id in a path; another team's answers like a missing one.
    static func find(_ id: String?, team: UUID, on db: any Database) async throws -> WebhookEndpoint {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let endpoint = try await WebhookEndpoint.query(on: db).filter(\.$id == id).filter(\.$teamID == team).first()
        else { throw notFound }
        return endpoint
    }

    /// What an admin typed, checked: the URL (and where it leads), the description and the types.
    struct Draft: Sendable {
        let url: WebhookURL
        let description: String?
        let subscription: WebhookSubscription
    }

    /// Checks the form's fields; every problem at once.
    static func draft(
        url: String, description: String, types: [String], allTypes: Bool, settings: Settings
    ) async throws -> Draft {
        var problems: [FieldProblem] = []
        var parsed: WebhookURL?
        do {
            let candidate = try WebhookURL.parse(url, allowHTTP: settings.webhookAllowHTTP)
            _ = try await candidate.resolve(allowPrivate: settings.webhookAllowPrivate)
            parsed = candidate
        } catch let error as DomainError {
            problems += error.problems
        }
        let trimmed = description.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count > maximumDescription {
            problems.append(
                FieldProblem(
                    field: "description", message: "The description must be at most \(maximumDescription) characters."))
        }
        var chosen = Set<WebhookEventType>()
        for type in types {
            guard let known = WebhookEventType(rawValue: type), known != .test else {
                problems.append(
                    FieldProblem(field: "types", message: "“\(type.prefix(60))” is not an event type webhooks send."))
                continue
            }
            chosen.insert(known)
        }
        if !allTypes && chosen.isEmpty && problems.allSatisfy({ $0.field != "types" }) {
            problems.append(
                FieldProblem(field: "types", message: "Choose the event types to send, or “All event types”."))
        }
        guard problems.isEmpty, let parsed else { throw DomainError.invalid(problems) }
        return Draft(
            url: parsed, description: trimmed.isEmpty ? nil : trimmed,
            subscription: allTypes ? .all : .only(chosen))
    }

    /// Adds an endpoint with a fresh secret (returned: shown once); refused past the team's limit.
    static func create(
        _ draft: Draft, team: UUID, by user: User, on db: any Database
    ) async throws -> (WebhookEndpoint, WebhookSecret) {
        guard try await count(team: team, on: db) < maximumEndpoints else {
            throw DomainError.conflict(
                "A team can have at most \(maximumEndpoints) webhook endpoints; delete one you no longer use first.")
        }
        let secret = WebhookSecret.generate()
        let endpoint = WebhookEndpoint(
            id: UUID.v7(), teamID: team, url: draft.url.url.absoluteString, description: draft.description,
            eventTypes: draft.subscription.stored, secret: secret.text, by: user.id)
        try await endpoint.create(on: db)
        try await Audit.record(
            .webhookCreated, team: team, by: user,
            "added webhook endpoint \(endpoint.url) (\(draft.subscription.label))", on: db)
        return (endpoint, secret)
    }

    static func update(_ endpoint: WebhookEndpoint, to draft: Draft, by user: User, on db: any Database) async throws {
        var changed: [String] = []
        let url = draft.url.url.absoluteString
        if endpoint.url != url { changed.append("URL \(endpoint.url) → \(url)") }
        if endpoint.eventTypes != draft.subscription.stored {
            changed.append("event types: \(draft.subscription.label)")
        }
        if endpoint.description != draft.description { changed.append("description") }
        guard !changed.isEmpty else { return }
        endpoint.url = url
        endpoint.eventTypes = draft.subscription.stored
        endpoint.description = draft.description
        endpoint.updatedAt = Date()
        try await endpoint.update(on: db)
        try await Audit.record(
            .webhookChanged, team: endpoint.teamID, by: user,
            "changed webhook endpoint \(url): " + changed.joined(separator: "; "), on: db)
    }

    static func delete(_ endpoint: WebhookEndpoint, by user: User, on db: any Database) async throws {
        try await db.sql.raw("DELETE FROM webhook_attempts WHERE endpoint_id = \(bind: endpoint.id!)").run()
        try await db.sql.raw("DELETE FROM webhook_messages WHERE endpoint_id = \(bind: endpoint.id!)").run()
        try await endpoint.delete(on: db)
        try await Audit.record(
            .webhookDeleted, team: endpoint.teamID, by: user, "deleted webhook endpoint \(endpoint.url)", on: db)
    }

    static func pause(_ endpoint: WebhookEndpoint, by user: User, on db: any Database) async throws {
        guard endpoint.pausedAt == nil else { return }
        endpoint.pausedAt = Date()
        endpoint.pausedReason = "admin"
        endpoint.updatedAt = Date()
        try await endpoint.update(on: db)
        try await Audit.record(
            .webhookPaused, team: endpoint.teamID, by: user, "paused webhook endpoint \(endpoint.url)", on: db)
    }

    /// Resumes deliveries; what failed while it was failing can be sent again with Replay.
    static func resume(_ endpoint: WebhookEndpoint, by user: User, on db: any Database) async throws {
        guard endpoint.pausedAt != nil else { return }
        endpoint.pausedAt = nil
        endpoint.pausedReason = nil
        endpoint.failingSince = nil
        endpoint.updatedAt = Date()
        try await endpoint.update(on: db)
        try await Audit.record(
            .webhookResumed, team: endpoint.teamID, by: user, "resumed webhook endpoint \(endpoint.url)", on: db)
    }

    /// A new secret; the old one keeps signing beside it for `rollOverlap`.
    static func roll(_ endpoint: WebhookEndpoint, by user: User, now: Date = Date(), on db: any Database) async throws
        -> WebhookSecret
    {
        let secret = WebhookSecret.generate()
        endpoint.previousSecret = endpoint.secret
        endpoint.previousSecretUntil = now.addingTimeInterval(rollOverlap)
        endpoint.secret = secret.text
        endpoint.updatedAt = now
        try await endpoint.update(on: db)
        try await Audit.record(
            .webhookSecretRolled, team: endpoint.teamID, by: user,
            "rolled the signing secret of webhook endpoint \(endpoint.url) (the old one signs too for 24 hours)", on: db
        )
        return secret
    }
}

extension WebhookEndpoint {
    /// The secrets that sign a delivery now, newest first.
    func signingSecrets(at now: Date = Date()) -> [WebhookSecret] {
        var secrets = [WebhookSecret(text: secret)].compactMap { $0 }
        if let previousSecret, let until = previousSecretUntil, until > now,
            let old = WebhookSecret(text: previousSecret)
        {
            secrets.append(old)
        }
        return secrets
    }

    var subscription: WebhookSubscription { WebhookSubscription(stored: eventTypes) }
}
