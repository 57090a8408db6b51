import Fluent
import Vapor

/// An endpoint's deliveries: a test message, a message's page with its attempts, sending one
/// again, and sending again everything since a time (a receiver that lost its data).
extension WebhooksController {
    @Sendable func sendTest(req: Request) async throws -> Response {
        try await change(req, notice: "A webhook.test message is on its way; it appears below within seconds.") {
            endpoint, user, db in
            try await WebhookMessageStore.sendTest(to: endpoint, by: user, on: db)
        }
    }

    @Sendable func replay(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        guard let hours = (try? req.content.decode(ReplayInput.self))?.hours,
            Self.replaySpans.contains(where: { $0.hours == hours })
        else { throw Abort(.badRequest, reason: "Choose how far back to send the messages again.") }
        let since = Date().addingTimeInterval(-TimeInterval(hours) * 3600)
        let span = Self.replaySpans.first { $0.hours == hours }!.label
        let count = try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
            try await WebhookMessageStore.replay(to: endpoint, since: since, span: span, by: user, on: db)
        }
        Notice.set(
            count == 0
                ? "No message since then to send again."
                : "Sending \(count == 1 ? "1 message" : "\(count) messages") again, oldest first.", on: req)
        return req.redirect(to: SitePath.webhook(.value(endpoint.id!)).path)
    }

    @Sendable func message(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        let row = try await WebhookMessageStore.find(req.parameters.get("message"), of: endpoint.id!, on: req.db)
        let attempts = try await WebhookMessageStore.attempts(of: row.id, endpoint: endpoint.id!, on: req.db)
        let now = Date()
        let view = WebhookMessageView(row, endpoint: endpoint.id!, now: now)
        return try await req.renderPage(
            "webhook-message",
            MessageContext(
                page: PageContext(
                    req, title: "\(row.type) to \(endpoint.url)", section: "webhooks",
                    trail: Self.crumbs(endpoint, row.type)),
                endpoint: WebhookEndpointView(endpoint, now: now), message: view,
                payload: Self.pretty(row.payload), attempts: attempts.map { WebhookAttemptView($0, now: now) },
                hasAttempts: !attempts.isEmpty))
    }

    @Sendable func resend(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        let row = try await WebhookMessageStore.find(req.parameters.get("message"), of: endpoint.id!, on: req.db)
        try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
            try await WebhookMessageStore.resend(row, to: endpoint, by: user, on: db)
        }
        Notice.set("Sending it again now (same webhook-id).", on: req)
        return req.redirect(to: SitePath.webhookMessage(endpoint: .value(endpoint.id!), message: .value(row.id)).path)
    }
}
