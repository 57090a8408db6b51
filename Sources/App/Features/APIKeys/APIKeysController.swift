import APIKeyCore
import Fluent
import Vapor

/// Admin → Team → API Keys: the list, creating a key (shown once) and deleting one.
struct APIKeysController: RouteCollection {
    let maxKeysPerTeam: Int

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiKeys, use: list)
        routes.get(.apiKeysNew, use: newPage)
        routes.post(.apiKeys, use: create)
        routes.get(.apiKeyDelete(.parameter), use: confirmDelete)
        routes.post(.apiKeyDelete(.parameter), use: delete)
    }

    static let adminAction = "create, change or delete API keys"

    /// Runs an admin's change to the team's keys under the team's lock, after checking there,
    /// at the write, that the actor is still an admin: one removed or demoted a moment ago
    /// cannot finish key changes already in flight (member changes take the same lock).
    @discardableResult
    static func asAdmin<T: Sendable>(
        _ req: Request,
        _ change: @escaping @Sendable (_ db: any Database, _ actor: User, _ team: UUID) async throws -> T
    ) async throws -> T {
        try await TeamController.asAdmin(req, to: adminAction, change)
    }

    @Sendable func list(req: Request) async throws -> Response {
        // A whole key in a link (typed or bookmarked) is neither searched for nor shown again.
        if let q = try? req.query.get(String.self, at: "q"), APIKeyListQuery.isSecret(APIKeyListQuery.searchText(q)) {
            Notice.set(
                "A whole key is looked up from the search box only, never from an address: paste it there.", on: req)
            return req.redirect(to: APIKeyListQuery(from: req).path())
        }
        return try await renderList(req)
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        let team = try req.requireTeam().team
        var form = APIKeyFormValues(team: team)
        try await form.loadEvents(team: team.id!, on: req.db)
        form.foldMoreOptions()
        return try await renderForm(req, form: form)
    }

    /// The form's problems, with one that names no field (the team's limit) shown above it.
    private static func problems(of error: DomainError) -> [FieldProblem] {
        error.problems.isEmpty ? [FieldProblem(field: "", message: error.message)] : error.problems
    }

    @Sendable func create(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let input = try req.content.decode(APIKeyFormInput.self)
        // A reload of the creation response re-posts the form; the key it showed is gone for good.
        if let nonce = input.nonce, CreationNonce.wasUsed(nonce, on: req) {
            Notice.set("That key was already created. A key is shown only once; its row is below.", on: req)
            return req.redirect(to: SitePath.apiKeys.path)
        }
        let team = current.team
        let token = APIKeyToken.generate()
        do {
            let teamEvents = try await EventScopeStore.teamEvents(among: input.events ?? [], team: team.id!, on: req.db)
            let (name, policy, scope) = try input.validated(
                for: team, teamEvents: teamEvents, rateRule: req.application.services.settings.keyRateRule)
            let key = APIKey(
                teamID: team.id!, createdByID: current.membership.$user.id, name: name, lastFour: token.lastFour,
                policy: policy)
            let actor = try req.requireUser().user
            let summary =
                "created API key “\(name)” (…\(token.lastFour))" + APIKeyChanges.describe(policy, scope: scope)
            let limit = maxKeysPerTeam
            try await Self.asAdmin(req) { db, _, _ in
                try await APIKeyStore.create(
                    key, secret: token, limit: limit, scope: scope,
                    audit: { db in
                        try await Audit.record(.keyCreated, team: team.id!, by: actor, summary, on: db)
                        try await KeyWebhook.record(.apiKeyCreated, key, by: actor.name, on: db)
                    }, on: db)
            }
            if let nonce = input.nonce { CreationNonce.markUsed(nonce, on: req) }
            req.logger.info(
                "api key created",
                metadata: ["key": "\(key.id!)", "team": "\(team.id!)", "preview": "\(token.lastFour)"])
            let created = APIKeyPages.CreatedKey(
                req, name: name, plaintext: token.plaintext, donePath: SitePath.apiKeys.path, rolled: false,
                oldEnds: nil, policy: policy, team: team, scope: scope)
            return try await renderList(req, created: created, status: .created)
        } catch let error as DomainError {
            var form = APIKeyFormValues(team: team, posted: input)
            try await form.loadEvents(team: team.id!, on: req.db)
            form.foldMoreOptions()
            let errors = FormErrors(Self.problems(of: error), ids: APIKeyFormValues.fieldIDs)
            // Posted from the list's dialog: the list again, the dialog open with the problems.
            if input.from == "dialog" {
                return try await renderList(req, form: form, errors: errors, status: error.status)
            }
            return try await renderForm(req, form: form, errors: errors, status: error.status)
        }
    }

    @Sendable func confirmDelete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let creators = try await AccountStore.userNames([key.$createdBy.id], on: req.db)
        let context = APIKeyPages.FormContext(
            page: PageContext(
                req, title: "Delete API key", section: "api-keys",
                trail: [.init(key.name, SitePath.apiKey(.value(key.id!)).path), .init("Delete")]),
            admins: "", nonce: "",
            action: SitePath.apiKeyDelete(.value(key.id!)).path, key: .init(key, creators: creators),
            form: APIKeyFormValues(team: current.team))
        return try await req.renderPage("api-key-delete", context)
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        // The rows are gone when this returns; every instance looks keys up in the database on
        // every request, so the very next request with this key gets 401.
        let actor = try req.requireUser().user
        let summary = "deleted API key “\(key.name)” (…\(key.lastFour))"
        try await Self.asAdmin(req) { db, _, _ in
            try await APIKeyStore.delete(
                key,
                audit: { db in
                    try await Audit.record(.keyDeleted, team: key.$team.id, by: actor, summary, on: db)
                    try await KeyWebhook.record(.apiKeyDeleted, key, by: actor.name, on: db)
                }, on: db)
        }
        req.logger.info("api key deleted", metadata: ["key": "\(key.id!)", "team": "\(current.team.id!)"])
        Notice.set("Deleted “\(key.name)”. Requests using it now fail with 401 Unauthorized.", on: req)
        return req.redirect(to: SitePath.apiKeys.path)
    }

    /// The plain create page (the list's dialog holds the same form), or the form again with
    /// its problems.
    private func renderForm(
        _ req: Request, form: APIKeyFormValues, errors: FormErrors = .none, status: HTTPStatus = .ok
    ) async throws -> Response {
        let current = try req.requireTeam()
        var atLimit = false
        if current.role == .admin, !errors.hasAny {
            atLimit = try await APIKeyStore.count(team: current.team.id!, on: req.db) >= maxKeysPerTeam
        }
        var form = form
        form.describeRates(req.application.services.settings)
        let context = APIKeyPages.FormContext(
            page: PageContext(req, title: "Create API Key", section: "api-keys"),
            admins: try await TeamStore.adminNames(of: current.team, on: req.db), nonce: CreationNonce.issue(),
            action: SitePath.apiKeys.path, key: nil, form: form, errors: errors, atLimit: atLimit, limit: maxKeysPerTeam
        )
        return try await req.renderPage("api-key-new", context, status: status)
    }

    private func renderList(
        _ req: Request, created: APIKeyPages.CreatedKey? = nil, form: APIKeyFormValues? = nil,
        errors: FormErrors = .none, status: HTTPStatus = .ok
    ) async throws -> Response {
        let current = try req.requireTeam()
        let query = APIKeyListQuery(from: req)
        let (keys, matching) = try await query.run(team: current.team.id!, on: req.db)
        let count = query.isFiltered ? try await APIKeyStore.count(team: current.team.id!, on: req.db) : matching
        let creators = try await AccountStore.userNames(keys.map { $0.$createdBy.id }, on: req.db)
        let old = try await APIKeyStore.oldSecrets(of: keys.compactMap(\.id), on: req.db)
        let reach = try await EventScopeStore.reach(team: current.team.id!, on: req.db)
        var dialog: APIKeyFormValues
        if let form { dialog = form } else { dialog = try await .withEvents(team: current.team, on: req.db) }
        dialog.describeRates(req.application.services.settings)
        let now = Date()
        let context = APIKeyPages.ListContext(
            page: PageContext(req, title: "API Keys", section: "api-keys"),
            keys: keys.map {
                .init($0, creators: creators, old: old[$0.id!], reach: reach[$0.id!] ?? .init(), now: now)
            },
            hasKeys: count > 0,
            atLimit: count >= maxKeysPerTeam,
            admins: try await TeamStore.adminNames(of: current.team, on: req.db),
            nonce: CreationNonce.issue(),
            created: created,
            limit: maxKeysPerTeam,
            form: dialog,
            errors: errors,
            list: .init(query, total: matching),
            example: ExampleRequest.curl(req)
        )
        return try await req.renderPage("api-keys", context, status: status)
    }
}
