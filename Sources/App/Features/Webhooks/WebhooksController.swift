import Fluent
import Vapor
import WebhookCore

/// Admin → Team → Webhooks: a team's endpoints, each with its secret (shown once), its
/// deliveries and what an admin can do to them; members see them read-only.
struct WebhooksController: RouteCollection {
    static let adminAction = "change webhooks"

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.webhooks, use: list)
        routes.get(.webhooksNew, use: newPage)
        routes.post(.webhooks, use: create)
        routes.get(.webhook(.parameter), use: show)
        routes.get(.webhookEdit(.parameter), use: editPage)
        routes.post(.webhookEdit(.parameter), use: edit)
        routes.get(.webhookDelete(.parameter), use: confirmDelete)
        routes.post(.webhookDelete(.parameter), use: delete)
        routes.post(.webhookPause(.parameter), use: pause)
        routes.post(.webhookResume(.parameter), use: resume)
        routes.post(.webhookRoll(.parameter), use: roll)
        routes.post(.webhookTest(.parameter), use: sendTest)
        routes.post(.webhookReplay(.parameter), use: replay)
        routes.get(.webhookMessage(endpoint: .parameter, message: .parameter), use: message)
        routes.post(.webhookResend(endpoint: .parameter, message: .parameter), use: resend)
    }

    struct FormInput: Content {
        var url: String?
        var description: String?
        var types: [String]?
        var allTypes: String?

        enum CodingKeys: String, CodingKey {
            case url, description, types
            case allTypes = "all_types"
        }
    }

    /// The form's fields as typed (again after a problem).
    struct FormValues: Encodable {
        struct Choice: Encodable {
            let value, label, summary: String
            let checked: Bool
        }

        struct Group: Encodable {
            let name: String
            let choices: [Choice]
        }

        var url = ""
        var description = ""
        var allTypes = true
        var groups: [Group]

        init(subscription: WebhookSubscription = .all, url: String = "", description: String = "") {
            self.url = url
            self.description = description
            allTypes = subscription == .all
            groups = WebhookEventType.subscribable.map { group in
                Group(
                    name: group.group,
                    choices: group.types.map {
                        Choice(
                            value: $0.rawValue, label: $0.rawValue, summary: $0.summary,
                            checked: subscription != .all && subscription.includes($0))
                    })
            }
        }

        init(_ input: FormInput) {
            let chosen = Set((input.types ?? []).compactMap(WebhookEventType.init(rawValue:)))
            self.init(
                subscription: input.allTypes == "on" ? .all : .only(chosen), url: input.url ?? "",
                description: input.description ?? "")
        }

        static let fieldIDs = ["url": "webhook-url", "description": "webhook-description", "types": "webhook-types"]
    }

    struct ListContext: Encodable {
        let page: PageContext
        let isAdmin: Bool
        let endpoints: [WebhookEndpointView]
        let hasEndpoints: Bool
        let atLimit: Bool
        let limit: Int
    }

    struct FormContext: Encodable {
        let page: PageContext
        let isAdmin: Bool
        let action: String
        let heading: String
        let submitLabel: String
        let cancelPath: String
        let form: FormValues
        let errors: FormErrors
        let atLimit: Bool
        let limit: Int
        let allowHTTP: Bool
    }

    struct EndpointContext: Encodable {
        let page: PageContext
        let isAdmin: Bool
        let endpoint: WebhookEndpointView
        let secret: ShownSecret?
        let messages: [WebhookMessageView]
        let hasMessages: Bool
        let replaySpans: [Span]
    }

    struct MessageContext: Encodable {
        let page: PageContext
        let isAdmin: Bool
        let endpoint: WebhookEndpointView
        let message: WebhookMessageView
        let payload: String
        let attempts: [WebhookAttemptView]
        let hasAttempts: Bool
    }

    struct Span: Encodable {
        let value, label: String
    }

    static let replaySpans: [(hours: Int, label: String)] = [
        (1, "the last hour"), (6, "the last 6 hours"), (24, "the last 24 hours"), (72, "the last 3 days"),
        (168, "the last 7 days"), (720, "the last 30 days"),
    ]

    /// After Admin › Team › Webhooks (the section's own crumbs).
    private static func crumbs(_ endpoint: WebhookEndpoint?, _ last: String? = nil) -> [PageContext.Crumb] {
        var crumbs: [PageContext.Crumb] = []
        if let endpoint {
            crumbs.append(.init(endpoint.url, last == nil ? nil : SitePath.webhook(.value(endpoint.id!)).path))
        }
        if let last { crumbs.append(.init(last)) }
        return crumbs
    }

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let endpoints = try await WebhookStore.list(team: current.team.id!, on: req.db)
        let now = Date()
        return try await req.renderPage(
            "webhooks",
            ListContext(
                page: PageContext(req, title: "Webhooks", section: "webhooks"),
                isAdmin: current.role == .admin, endpoints: endpoints.map { WebhookEndpointView($0, now: now) },
                hasEndpoints: !endpoints.isEmpty, atLimit: endpoints.count >= WebhookStore.maximumEndpoints,
                limit: WebhookStore.maximumEndpoints))
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let count = try await WebhookStore.count(team: current.team.id!, on: req.db)
        return try await renderForm(
            req, isAdmin: current.role == .admin, endpoint: nil, form: FormValues(), errors: .none,
            atLimit: count >= WebhookStore.maximumEndpoints)
    }

    private func renderForm(
        _ req: Request, isAdmin: Bool, endpoint: WebhookEndpoint?, form: FormValues, errors: FormErrors,
        atLimit: Bool = false, status: HTTPStatus = .ok
    ) async throws -> Response {
        let heading = endpoint == nil ? "Add webhook endpoint" : "Edit webhook endpoint"
        return try await req.renderPage(
            "webhook-form",
            FormContext(
                page: PageContext(
                    req, title: heading, section: "webhooks",
                    trail: Self.crumbs(endpoint, endpoint == nil ? "Add endpoint" : "Edit")),
                isAdmin: isAdmin,
                action: endpoint.map { SitePath.webhookEdit(.value($0.id!)).path } ?? SitePath.webhooks.path,
                heading: heading, submitLabel: endpoint == nil ? "Add endpoint" : "Save changes",
                cancelPath: endpoint.map { SitePath.webhook(.value($0.id!)).path } ?? SitePath.webhooks.path,
                form: form, errors: errors, atLimit: atLimit, limit: WebhookStore.maximumEndpoints,
                allowHTTP: req.application.services.settings.webhookAllowHTTP),
            status: status)
    }

    private static func draft(_ input: FormInput, on req: Request) async throws -> WebhookStore.Draft {
        try await WebhookStore.draft(
            url: input.url ?? "", description: input.description ?? "", types: input.types ?? [],
            allTypes: input.allTypes == "on", settings: req.application.services.settings)
    }

    @Sendable func create(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let input = try req.content.decode(FormInput.self)
        do {
            let draft = try await Self.draft(input, on: req)
            let (endpoint, secret) = try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, team in
                try await WebhookStore.create(draft, team: team, by: user, on: db)
            }
            return try await renderEndpoint(
                req, endpoint, isAdmin: true, secret: ShownSecret(text: secret.text, rolled: false), status: .created)
        } catch let error as DomainError {
            let problems =
                error.problems.isEmpty ? [FieldProblem(field: "", message: error.message)] : error.problems
            return try await renderForm(
                req, isAdmin: true, endpoint: nil, form: FormValues(input),
                errors: FormErrors(problems, ids: FormValues.fieldIDs), status: error.status)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        return try await renderEndpoint(req, endpoint, isAdmin: current.role == .admin, secret: nil)
    }

    private func renderEndpoint(
        _ req: Request, _ endpoint: WebhookEndpoint, isAdmin: Bool, secret: ShownSecret?, status: HTTPStatus = .ok
    ) async throws -> Response {
        let now = Date()
        let messages = try await WebhookMessageStore.recent(of: endpoint.id!, on: req.db)
        return try await req.renderPage(
            "webhook",
            EndpointContext(
                page: PageContext(
                    req, title: "Webhook \(endpoint.url)", section: "webhooks", trail: Self.crumbs(endpoint)),
                isAdmin: isAdmin, endpoint: WebhookEndpointView(endpoint, now: now), secret: secret,
                messages: messages.map { WebhookMessageView($0, endpoint: endpoint.id!, now: now) },
                hasMessages: !messages.isEmpty,
                replaySpans: Self.replaySpans.map { Span(value: String($0.hours), label: $0.label) }),
            status: status)
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        return try await renderForm(
            req, isAdmin: true, endpoint: endpoint,
            form: FormValues(
                subscription: endpoint.subscription, url: endpoint.url, description: endpoint.description ?? ""),
            errors: .none)
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        let input = try req.content.decode(FormInput.self)
        do {
            let draft = try await Self.draft(input, on: req)
            try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
                try await WebhookStore.update(endpoint, to: draft, by: user, on: db)
            }
            Notice.set("Saved.", on: req)
            return req.redirect(to: SitePath.webhook(.value(endpoint.id!)).path)
        } catch let error as DomainError {
            return try await renderForm(
                req, isAdmin: true, endpoint: endpoint, form: FormValues(input),
                errors: FormErrors(error.problems, ids: FormValues.fieldIDs), status: error.status)
        }
    }

    @Sendable func confirmDelete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        return try await ConfirmPage(
            page: PageContext(
                req, title: "Delete webhook endpoint", section: "webhooks", trail: Self.crumbs(endpoint, "Delete")),
            question: "Delete the webhook endpoint \(endpoint.url)?",
            explanation:
                "Nothing more is sent to it, and its messages waiting for delivery and its delivery history are deleted with it. This cannot be undone.",
            action: SitePath.webhookDelete(.value(endpoint.id!)).path, confirmLabel: "Delete endpoint",
            keepLabel: "Keep it", keepPath: SitePath.webhook(.value(endpoint.id!)).path
        ).response(for: req)
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        guard ConfirmPage.isConfirmed(req) else { return try await confirmDelete(req: req) }
        try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
            try await WebhookStore.delete(endpoint, by: user, on: db)
        }
        Notice.set("Deleted the webhook endpoint \(endpoint.url).", on: req)
        return req.redirect(to: SitePath.webhooks.path)
    }

    /// Runs `change` on the path's endpoint as an admin, then back to its page with `notice`.
    private func change(
        _ req: Request, notice: String,
        _ change: @escaping @Sendable (WebhookEndpoint, User, any Database) async throws -> Void
    ) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
            try await change(endpoint, user, db)
        }
        Notice.set(notice, on: req)
        return req.redirect(to: SitePath.webhook(.value(endpoint.id!)).path)
    }

    @Sendable func pause(req: Request) async throws -> Response {
        try await change(req, notice: "Paused: nothing is sent until you resume it.") { endpoint, user, db in
            try await WebhookStore.pause(endpoint, by: user, on: db)
        }
    }

    @Sendable func resume(req: Request) async throws -> Response {
        try await change(req, notice: "Resumed: messages are sent again.") { endpoint, user, db in
            try await WebhookStore.resume(endpoint, by: user, on: db)
        }
    }

    @Sendable func sendTest(req: Request) async throws -> Response {
        try await change(req, notice: "A webhook.test message is on its way; it appears below within seconds.") {
            endpoint, user, db in
            try await WebhookMessageStore.sendTest(to: endpoint, by: user, on: db)
        }
    }

    struct ReplayInput: Content {
        var hours: Int?
    }

    @Sendable func replay(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        guard let hours = (try? req.content.decode(ReplayInput.self))?.hours,
            Self.replaySpans.contains(where: { $0.hours == hours })
        else { throw Abort(.badRequest, reason: "Choose how far back to send the messages again.") }
        let since = Date().addingTimeInterval(-TimeInterval(hours) * 3600)
        let count = try await WebhookMessageStore.replay(endpoint: endpoint.id!, since: since, on: req.db)
        Notice.set(
            count == 0
                ? "No message since then to send again."
                : "Sending \(count == 1 ? "1 message" : "\(count) messages") again, oldest first.", on: req)
        return req.redirect(to: SitePath.webhook(.value(endpoint.id!)).path)
    }

    @Sendable func roll(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        let secret = try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
            try await WebhookStore.roll(endpoint, by: user, on: db)
        }
        return try await renderEndpoint(
            req, endpoint, isAdmin: true, secret: ShownSecret(text: secret.text, rolled: true))
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
                isAdmin: current.role == .admin, endpoint: WebhookEndpointView(endpoint, now: now), message: view,
                payload: Self.pretty(row.payload), attempts: attempts.map { WebhookAttemptView($0, now: now) },
                hasAttempts: !attempts.isEmpty))
    }

    @Sendable func resend(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        let row = try await WebhookMessageStore.find(req.parameters.get("message"), of: endpoint.id!, on: req.db)
        try await WebhookMessageStore.resend(row.id, endpoint: endpoint.id!, on: req.db)
        Notice.set("Sending it again now (same webhook-id).", on: req)
        return req.redirect(to: SitePath.webhookMessage(endpoint: .value(endpoint.id!), message: .value(row.id)).path)
    }

    /// The payload indented for reading (as sent: one line).
    static func pretty(_ payload: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return payload }
        return String(decoding: data, as: UTF8.self)
    }
}
