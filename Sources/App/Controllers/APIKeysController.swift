import APIKeyCore
import Fluent
import Vapor

/// Admin → Team → API Keys: list, create (the key is shown once), delete.
struct APIKeysController: RouteCollection {
    let maxKeysPerTeam: Int

    func boot(routes: any RoutesBuilder) throws {
        let keys = routes.grouped("admin", "team", "api-keys")
        keys.get(use: list)
        keys.get("new", use: newPage)
        keys.post(use: create)
        keys.get(":key", "delete", use: confirmDelete)
        keys.post(":key", "delete", use: delete)
    }

    struct KeyRow: Encodable {
        let id: String
        let name: String
        let preview: String
        let created: TimeView
        let createdBy: String
        let lastUsed: TimeView?
        let expires: TimeView?
        let expired: Bool
        let deletePath: String
    }

    /// Expiration choices offered when creating a key, in days (0 = never).
    static let expirationChoices = [0, 7, 30, 60, 90, 365]

    struct CreatedKey: Encodable {
        let name: String
        let plaintext: String
    }

    struct ListContext: Encodable {
        let page: PageContext
        let keys: [KeyRow]
        let hasKeys: Bool
        let isAdmin: Bool
        let admins: String
        let nonce: String
        let created: CreatedKey?
        let atLimit: Bool
        let limit: Int
    }

    struct NewContext: Encodable {
        let page: PageContext
        let isAdmin: Bool
        let admins: String
        let nonce: String
        let name: String?
        let error: String?
    }

    struct DeleteContext: Encodable {
        let page: PageContext
        let key: KeyRow
    }

    @Sendable func list(req: Request) async throws -> Response {
        try await renderList(req)
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let context = NewContext(
            page: PageContext(req, title: "Create API Key", section: "api-keys"),
            isAdmin: current.role == .admin, admins: try await current.team.adminNames(on: req.db),
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
        let current = try req.requireTeamAdmin(to: "create or delete API keys")
        let form = try req.content.decode(CreateForm.self)
        // A reload of the creation response re-posts the form; the key it showed is gone for good.
        if let nonce = form.nonce, CreationNonce.wasUsed(nonce, on: req) {
            Notice.set("That key was already created. A key is shown only once; its row is below.", on: req)
            return req.redirect(to: SitePath.apiKeys.path)
        }
        func failed(_ message: String, status: HTTPStatus) async throws -> Response {
            let context = NewContext(
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
        guard let days = Int(form.expiresInDays ?? "0"), Self.expirationChoices.contains(days) else {
            return try await failed("Choose when the key expires from the list.", status: .unprocessableEntity)
        }
        let expiresAt = days == 0 ? nil : Date().addingTimeInterval(TimeInterval(days) * 86400)
        let teamID = current.team.id!
        let existing = try await APIKey.query(on: req.db).filter(\.$team.$id == teamID).all(\.$name)
        if existing.count >= maxKeysPerTeam {
            return try await failed(
                "This team already has \(maxKeysPerTeam) API keys, the most it can hold. Delete keys you no longer use, then try again.",
                status: .conflict)
        }
        if existing.contains(where: { $0.caseInsensitiveCompare(name) == .orderedSame }) {
            return try await failed("This team already has a key named “\(name)”. Choose another name.", status: .conflict)
        }
        let token = APIKeyToken.generate()
        let key = APIKey(teamID: teamID, createdByID: current.membership.$user.id, name: name, digest: token.digest, lastFour: token.lastFour, expiresAt: expiresAt)
        let actor = try req.requireUser().user
        do {
            try await req.db.transaction { db in
                try await key.create(on: db)
                try await Audit.record(.keyCreated, team: teamID, by: actor, "created API key “\(name)” (…\(token.lastFour))" + (days == 0 ? "" : ", expiring in \(days) days"), on: db)
            }
        } catch let error as any DatabaseError where error.isConstraintFailure {
            return try await failed("This team already has a key named “\(name)”. Choose another name.", status: .conflict)
        }
        if let nonce = form.nonce { CreationNonce.markUsed(nonce, on: req) }
        req.logger.info("api key created", metadata: ["key": "\(key.id!)", "team": "\(teamID)", "preview": "\(token.lastFour)"])
        return try await renderList(req, created: CreatedKey(name: name, plaintext: token.plaintext), status: .created)
    }

    @Sendable func confirmDelete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "create or delete API keys")
        let key = try await findKey(req, in: current.team)
        let users = try await userNames([key.$createdBy.id], req.db)
        let context = DeleteContext(page: PageContext(req, title: "Delete API key", section: "api-keys"), key: row(key, users))
        return try await req.renderPage("api-key-delete", context)
    }

    @Sendable func delete(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "create or delete API keys")
        let key = try await findKey(req, in: current.team)
        // The row is gone when this returns; every instance looks keys up in the database on
        // every request, so the very next request with this key gets 401.
        let actor = try req.requireUser().user
        try await req.db.transaction { db in
            try await RevokedAPIKey(digest: key.digest, teamID: key.$team.id, name: key.name).create(on: db)
            try await key.delete(on: db)
            try await Audit.record(.keyDeleted, team: key.$team.id, by: actor, "deleted API key “\(key.name)” (…\(key.lastFour))", on: db)
        }
        req.logger.info("api key deleted", metadata: ["key": "\(key.id!)", "team": "\(current.team.id!)"])
        Notice.set("Deleted “\(key.name)”. Requests using it now fail with 401 Unauthorized.", on: req)
        return req.redirect(to: SitePath.apiKeys.path)
    }

    private func renderList(_ req: Request, created: CreatedKey? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let current = try req.requireTeam()
        let keys = try await APIKey.query(on: req.db)
            .filter(\.$team.$id == current.team.id!)
            .sort(\.$createdAt, .descending).sort(\.$id, .descending)
            .all()
        let users = try await userNames(keys.map { $0.$createdBy.id }, req.db)
        let context = ListContext(
            page: PageContext(req, title: "API Keys", section: "api-keys"),
            keys: keys.map { row($0, users) },
            hasKeys: !keys.isEmpty,
            isAdmin: current.role == .admin,
            admins: try await current.team.adminNames(on: req.db),
            nonce: CreationNonce.issue(),
            created: created,
            atLimit: keys.count >= maxKeysPerTeam,
            limit: maxKeysPerTeam
        )
        return try await req.renderPage("api-keys", context, status: status)
    }

    private func row(_ key: APIKey, _ users: [UUID: String]) -> KeyRow {
        let now = Date()
        return KeyRow(
            id: key.id!.uuidString.lowercased(), name: key.name, preview: "…" + key.lastFour,
            created: TimeView(key.createdAt ?? now, now: now),
            createdBy: users[key.$createdBy.id] ?? "a former member",
            lastUsed: key.lastUsedAt.map { TimeView($0, now: now) },
            expires: key.expiresAt.map { TimeView($0, now: now) },
            expired: key.expiresAt.map { $0 <= now } ?? false,
            deletePath: SitePath.apiKeyDelete(key.id!).path
        )
    }

    /// A key of the current team; another team's key id answers exactly like a missing one.
    private func findKey(_ req: Request, in team: Team) async throws -> APIKey {
        guard let id = req.parameters.get("key").flatMap(UUID.init(uuidString:)),
            let key = try await APIKey.query(on: req.db).filter(\.$id == id).filter(\.$team.$id == team.id!).first()
        else { throw Abort(.notFound, reason: "There is no such API key in this team. It may have been deleted already.") }
        return key
    }

    private func userNames(_ ids: [UUID], _ db: any Database) async throws -> [UUID: String] {
        guard !ids.isEmpty else { return [:] }
        let users = try await User.query(on: db).filter(\.$id ~~ Array(Set(ids))).all()
        return Dictionary(uniqueKeysWithValues: users.map { ($0.id!, $0.name) })
    }

}

/// One-time tokens on the creation form, so that re-posting it (a reload of the page that
/// showed the key) does not create a second key. The last few used ones live in the session.
enum CreationNonce {
    private static let key = "key-nonces"

    static func issue() -> String { Data([UInt8].random(count: 16)).base64URLEncodedString() }

    static func wasUsed(_ nonce: String, on req: Request) -> Bool {
        (req.session.data[key] ?? "").split(separator: " ").contains { $0 == nonce }
    }

    static func markUsed(_ nonce: String, on req: Request) {
        guard nonce.count <= 64, !nonce.contains(" ") else { return }
        let used = (req.session.data[key] ?? "").split(separator: " ").suffix(9).map(String.init) + [nonce]
        req.session.data[key] = used.joined(separator: " ")
    }
}
