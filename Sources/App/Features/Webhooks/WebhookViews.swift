import Foundation
import WebhookCore

/// An endpoint as its pages show it (never its secret; that is shown once, as `ShownSecret`).
struct WebhookEndpointView: Encodable {
    let id, url, path, editPath, deletePath, pausePath, resumePath, rollPath, testPath, replayPath: String
    let description: String?
    let types: String
    let status, statusClass: String
    let paused: Bool
    let secretLastFour: String
    /// While a rolled secret's predecessor still signs.
    let previousUntil: TimeView?
    let failingSince: TimeView?
    let created: TimeView

    init(_ endpoint: WebhookEndpoint, now: Date = Date()) {
        let id = endpoint.id!
        self.id = id.lowercasedString
        url = endpoint.url
        path = SitePath.webhook(.value(id)).path
        editPath = SitePath.webhookEdit(.value(id)).path
        deletePath = SitePath.webhookDelete(.value(id)).path
        pausePath = SitePath.webhookPause(.value(id)).path
        resumePath = SitePath.webhookResume(.value(id)).path
        rollPath = SitePath.webhookRoll(.value(id)).path
        testPath = SitePath.webhookTest(.value(id)).path
        replayPath = SitePath.webhookReplay(.value(id)).path
        description = endpoint.description
        types = endpoint.subscription.label
        paused = endpoint.pausedAt != nil
        if endpoint.pausedAt != nil {
            status = endpoint.pausedReason == "failing" ? "Paused: every delivery failed for 3 days" : "Paused"
            statusClass = "status-paused"
        } else if endpoint.failingSince != nil {
            status = "Failing"
            statusClass = "status-expired"
        } else {
            status = "Active"
            statusClass = "status-active"
        }
        secretLastFour = WebhookSecret(text: endpoint.secret)?.lastFour ?? "????"
        previousUntil = endpoint.previousSecretUntil.flatMap { $0 > now ? TimeView($0, now: now) : nil }
        failingSince = endpoint.failingSince.map { TimeView($0, now: now) }
        created = TimeView(endpoint.createdAt, now: now)
    }
}

/// A secret in the one answer that shows it.
struct ShownSecret: Encodable {
    let text: String
    let rolled: Bool
}

/// One message on an endpoint's deliveries list and page.
struct WebhookMessageView: Encodable {
    let id, webhookID, type, path, resendPath, state, stateLabel: String
    let created: TimeView
    let attempts: Int
    let lastStatus: Int?
    let lastLatency: String?
    let lastError: String?
    let nextAttempt: TimeView?

    init(_ message: WebhookMessageStore.Row, endpoint: UUID, now: Date = Date()) {
        id = message.id.lowercasedString
        webhookID = WebhookWorker.webhookID(message.id)
        type = message.type
        path = SitePath.webhookMessage(endpoint: .value(endpoint), message: .value(message.id)).path
        resendPath = SitePath.webhookResend(endpoint: .value(endpoint), message: .value(message.id)).path
        state = message.state
        stateLabel =
            switch message.state {
            case "delivered": "Delivered"
            case "failed": "Failed"
            default: message.attempts == 0 ? "Waiting" : "Retrying"
            }
        created = TimeView(message.createdAt, now: now)
        attempts = message.attempts
        lastStatus = message.lastStatus
        lastLatency = message.lastLatency.map(Latency.text)
        lastError = message.lastError
        nextAttempt = message.state == "pending" ? message.nextAttemptAt.map { TimeView($0, now: now) } : nil
    }
}

struct WebhookAttemptView: Encodable {
    let at: TimeView
    let status: Int?
    let latency: String
    let error: String?
    /// The first 1 KB of the answer (64 KB are kept).
    let response: String?

    init(_ attempt: WebhookMessageStore.Attempt, now: Date = Date()) {
        at = TimeView(attempt.at, now: now)
        status = attempt.status
        latency = Latency.text(attempt.latency)
        error = attempt.error
        response = attempt.response.flatMap {
            $0.isEmpty ? nil : String(decoding: Array($0.utf8.prefix(1024)), as: UTF8.self)
        }
    }
}
