import APIKeyCore
import Fluent
import Vapor

/// Admin → Team → API Keys: list, create (the key is shown once), delete.
struct APIKeysController: RouteCollection {
    let maxKeysPerTeam: Int

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiKeys, use: list)
        routes.get(.apiKeysNew, use: newPage)
        routes.post(.apiKeys, use: create)
        routes.get(.apiKeyDelete(.parameter), use: confirmDelete)
        routes.post(.apiKeyDelete(.parameter), use: delete)
    }

    private static let adminAction = "create or delete API keys"

    @Sendable func list(req: Request) async throws -> Response {
        try await renderList(req)
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let context = APIKeyPages.NewContext(
            page: PageContext(req, title: "Create API Key", section: "api-keys"),
            isAdmin: current.role == .admin, admins: try await TeamStore.adminNames(of: current.team, on: req.db),
            nonce: CreationNonce.issue(), name: nil, error: nil
        )
        return try await req.renderPage("api-key-new", context)
    }

    struct CreateForm: Content {
        var name: String?
        var nonce: String?
        var expiresInDays: String?

        enum CodingKeys: String, CodingKey {
            case name, nonce
            case expiresInDays = "expires_in_days"
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let form = try req.content.decode(CreateForm.self)
        // A reload of the creation response re-posts the form; the key it showed is gone for good.
        if let nonce = form.nonce, CreationNonce.wasUsed(nonce, on: req) {
            Notice.set("That key was already created. A key is shown only once; its row is below.", on: req)
            return req.redirect(to: SitePath.apiKeys.path)
        }
        func failed(_ message: String, status: HTTPStatus) async throws -> Response {
            let context = APIKeyPages.NewContext(
                page: PageContext(req, title: "Create API Key", section: "api-keys"),
                isAdmin: true, admins: "", nonce: CreationNonce.issue(),
                name: form.name.map { String($0.prefix(200)) }, error: message
            )
            return try await req.renderPage("api-key-new", context, status: status)
        }
        let name: String
        switch FormInput.name(form.name, field: "Name") {
        case .failure(let error): return try await failed(error.message, status: .unprocessableEntity)
        case .success(let value): name = value
        }
        guard let days = Int(form.expiresInDays ?? "0"), APIKeyPages.expirationChoices.contains(days) else {
            return try await failed("Choose when the key expires from the list.", status: .unprocessableEntity)
        }
        let expiresAt = days == 0 ? nil : Date().addingTimeInterval(TimeInterval(days) * 86400)
        let teamID = current.team.id!
        let token = APIKeyToken.generate()
        let key = APIKey(teamID: teamID, createdByID: current.membership.$user.id, name: name, digest: token.digest, lastFour: token.lastFour, expiresAt: expiresAt)
        let actor = try req.requireUser().user
        let summary = "created API key “\(name)” (…\(token.lastFour))" + (days == 0 ? "" : ", expiring in \(days) days")
        do {
            try await APIKeyStore.create(key, limit: maxKeysPerTeam, audit: { db in
                try await Audit.record(.keyCreated, team: teamID, by: actor, summary, on: db)
            }, on: req.db)
        } catch let error as DomainError {
            return try await failed(error.message, status: error.status)
        }
        if let nonce = form.nonce { CreationNonce.markUsed(nonce, on: req) }
        req.logger.info("api key created", metadata: ["key": "\(key.id!)", "team": "\(teamID)", "preview": "\(token.lastFour)"])
        return try await renderList(req, created: .init(name: name, plaintext: token.plaintext), status: .created)
    }

    @Sendable func confirmDelete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let creators = try await AccountStore.userNames([key.$createdBy.id], on: req.db)
        let context = APIKeyPages.DeleteContext(page: PageContext(req, title: "Delete API key", section: "api-keys"), key: .init(key, creators: creators))
        return try await req.renderPage("api-key-delete", context)
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        // The row is gone when this returns; every instance looks keys up in the database on
        // every request, so the very next request with this key gets 401.
        let actor = try req.requireUser().user
        let summary = "deleted API key “\(key.name)” (…\(key.lastFour))"
        try await APIKeyStore.delete(key, audit: { db in
            try await Audit.record(.keyDeleted, team: key.$team.id, by: actor, summary, on: db)
        }, on: req.db)
        req.logger.info("api key deleted", metadata: ["key": "\(key.id!)", "team": "\(current.team.id!)"])
        Notice.set("Deleted “\(key.name)”. Requests using it now fail with 401 Unauthorized.", on: req)
        return req.redirect(to: SitePath.apiKeys.path)
    }

    private func renderList(_ req: Request, created: APIKeyPages.CreatedKey? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let current = try req.requireTeam()
        let keys = try await APIKeyStore.list(team: current.team.id!, on: req.db)
        let creators = try await AccountStore.userNames(keys.map { $0.$createdBy.id }, on: req.db)
        let now = Date()
        let context = APIKeyPages.ListContext(
            page: PageContext(req, title: "API Keys", section: "api-keys"),
            keys: keys.map { .init($0, creators: creators, now: now) },
            hasKeys: !keys.isEmpty,
            isAdmin: current.role == .admin,
            atLimit: keys.count >= maxKeysPerTeam,
            admins: try await TeamStore.adminNames(of: current.team, on: req.db),
            nonce: CreationNonce.issue(),
            created: created,
            limit: maxKeysPerTeam
        )
        return try await req.renderPage("api-keys", context, status: status)
    }
}
