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

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let endpoints = try await WebhookStore.list(team: current.team.id!, on: req.db)
        let now = Date()
        return try await req.renderPage(
            "webhooks",
            ListContext(
                page: PageContext(req, title: "Webhooks", section: "webhooks"),
                endpoints: endpoints.map { WebhookEndpointView($0, now: now) },
                hasEndpoints: !endpoints.isEmpty, atLimit: endpoints.count >= WebhookStore.maximumEndpoints,
                limit: WebhookStore.maximumEndpoints))
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let count = try await WebhookStore.count(team: current.team.id!, on: req.db)
        return try await renderForm(
            req, endpoint: nil, form: FormValues(), errors: .none,
            atLimit: count >= WebhookStore.maximumEndpoints)
    }

    private func renderForm(
        _ req: Request, endpoint: WebhookEndpoint?, form: FormValues, errors: FormErrors,
        atLimit: Bool = false, status: HTTPStatus = .ok
    ) async throws -> Response {
        let heading = endpoint == nil ? "Add webhook endpoint" : "Edit webhook endpoint"
        return try await req.renderPage(
            "webhook-form",
            FormContext(
                page: PageContext(
                    req, title: heading, section: "webhooks",
                    trail: Self.crumbs(endpoint, endpoint == nil ? "Add endpoint" : "Edit")),
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
                req, endpoint, secret: ShownSecret(text: secret.text, rolled: false), status: .created)
        } catch let error as DomainError {
            let problems =
                error.problems.isEmpty ? [FieldProblem(field: "", message: error.message)] : error.problems
            return try await renderForm(
                req, endpoint: nil, form: FormValues(input),
                errors: FormErrors(problems, ids: FormValues.fieldIDs), status: error.status)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        return try await renderEndpoint(req, endpoint, secret: nil)
    }

    func renderEndpoint(
        _ req: Request, _ endpoint: WebhookEndpoint, secret: ShownSecret?, status: HTTPStatus = .ok
    ) async throws -> Response {
        let now = Date()
        let messages = try await WebhookMessageStore.recent(of: endpoint.id!, on: req.db)
        return try await req.renderPage(
            "webhook",
            EndpointContext(
                page: PageContext(
                    req, title: "Webhook \(endpoint.url)", section: "webhooks", trail: Self.crumbs(endpoint)),
                endpoint: WebhookEndpointView(endpoint, now: now), secret: secret,
                messages: messages.map { WebhookMessageView($0, endpoint: endpoint.id!, now: now) },
                hasMessages: !messages.isEmpty,
                replaySpans: Self.replaySpans.map { Span(value: String($0.hours), label: $0.label) }),
            status: status)
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        return try await renderForm(
            req, endpoint: endpoint,
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
                req, endpoint: endpoint, form: FormValues(input),
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
    func change(
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

    @Sendable func roll(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let endpoint = try await WebhookStore.find(req.parameters.get("endpoint"), team: current.team.id!, on: req.db)
        let secret = try await TeamController.asAdmin(req, to: Self.adminAction) { db, user, _ in
            try await WebhookStore.roll(endpoint, by: user, on: db)
        }
        return try await renderEndpoint(
            req, endpoint, secret: ShownSecret(text: secret.text, rolled: true))
    }
}
