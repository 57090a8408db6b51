import APIKeyCore
import Fluent
import SQLKit
import Vapor

/// The key list's search form. It posts, so that a whole key pasted into it stays out of the
/// address bar, the browser's history and every log: a whole key is looked up by its digest
/// and opens that key's page (another team's key answers exactly like none); anything else
/// becomes the list's ordinary search link.
struct KeySearchController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.post(.apiKeysSearch, use: search)
    }

    struct Input: Content {
        var q: String?
        var status: String?
    }

    static let notFound =
        "No key of this team has that secret. It may belong to another team, or have been rolled or deleted."

    @Sendable func search(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let input = try req.content.decode(Input.self)
        let text = APIKeyListQuery.searchText(input.q ?? "")
        guard let candidate = APIKeyListQuery.secretCandidate(in: text) else {
            return req.redirect(to: APIKeyListQuery(search: text, status: input.status).path())
        }
        guard let token = try? APIKeyToken(parsing: candidate) else {
            Notice.set(
                "That is not a whole Kagibag key (it starts like one but its length or checksum is wrong). Paste it again, or search by name or last four.",
                on: req)
            return req.redirect(to: APIKeyListQuery(search: "", status: input.status).path())
        }
        guard
            let row = try await req.db.sql.raw(
                """
                SELECT k.id, k.name, k.paused_at, k.expires_at, k.revoked_at, s.ends_at
                FROM api_key_secrets s JOIN api_keys k ON k.id = s.key_id
                WHERE s.digest = \(bind: token.digest) AND k.team_id = \(bind: current.team.id!)
                """
            ).first()
        else {
            Notice.set(Self.notFound, on: req)
            return req.redirect(to: APIKeyListQuery(search: "", status: input.status).path())
        }
        let id = try row.decode(column: "id", as: UUID.self)
        let name = try row.decode(column: "name", as: String.self)
        let now = Date()
        // Whether the key itself still works, said with the answer.
        var state = ""
        if try row.decode(column: "revoked_at", as: Date?.self) != nil {
            state = " The key was revoked as leaked: it no longer works."
        } else if let expires = try row.decode(column: "expires_at", as: Date?.self), expires <= now {
            state = " The key has expired: it no longer works."
        } else if try row.decode(column: "paused_at", as: Date?.self) != nil {
            state = " The key is paused: requests with it get 401 until it is resumed."
        }
        if let ends = try row.decode(column: "ends_at", as: Date?.self) {
            Notice.set(
                (ends > now
                    ? "That is the old secret of “\(name)”, still working until its grace period ends."
                    : "That was the old secret of “\(name)”; it no longer works.") + state, on: req)
        } else {
            Notice.set("That is the secret of “\(name)”." + state, on: req)
        }
        return req.redirect(to: SitePath.apiKey(.value(id)).path)
    }
}
