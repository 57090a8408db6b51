import Fluent
import Vapor

/// `/join/<token>`: the link an admin copies from the Team page and sends an invitee. Signed
/// out, it is the sign-up form for the invited address with no team to name (and a way to log in
/// instead); signed in as that address, the invitation to accept; as anyone else, what to do.
struct JoinController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.join(nil), use: join)
    }

    /// What the sign-up and login pages say about the invitation they complete.
    struct Offer: Encodable {
        let token, team, role, invitedByName, invitedByEmail, email, loginPath, joinPath: String
        let expires: TimeView

        init(_ invitation: Invitation, token: String) {
            self.token = token
            self.team = invitation.team.name
            self.role = invitation.role.label
            self.invitedByName = invitation.invitedByName
            self.invitedByEmail = invitation.invitedByEmail
            self.email = invitation.email
            self.loginPath = SitePath.login.path + "?invitation=" + token
            self.joinPath = SitePath.join(token).path
            self.expires = TimeView(invitation.expiresAt, now: Date())
        }
    }

    struct Context: Encodable {
        let page: PageContext
        /// "gone", "yours" or "someone-else".
        let state: String
        let offer: Offer?
        let signedInAs: String?
    }

    @Sendable func join(req: Request) async throws -> Response {
        Self.sendNoReferrer(try await page(req))
    }

    private func page(_ req: Request) async throws -> Response {
        let token = req.parameters.get("token") ?? ""
        guard let invitation = try await InvitationStore.find(linkToken: token, on: req.db) else {
            return try await req.renderPage(
                "join",
                Context(
                    page: PageContext(req, title: "Invitation link"), state: "gone", offer: nil, signedInAs: nil),
                status: .notFound)
        }
        let offer = Offer(invitation, token: token)
        guard let user = req.currentUser?.user else {
            return try await AccountController.signupPage(invitation: offer, on: req)
        }
        let state = user.email == invitation.email ? "yours" : "someone-else"
        return try await req.renderPage(
            "join",
            Context(
                page: PageContext(req, title: "Invitation to \(invitation.team.name)"), state: state, offer: offer,
                signedInAs: user.email))
    }

    /// A page whose address holds an invitation's token sends no `Referer` at all (not even to
    /// this site's stylesheet, whose requests a proxy's access log keeps).
    @discardableResult
    static func sendNoReferrer(_ response: Response) -> Response {
        response.headers.replaceOrAdd(name: "Referrer-Policy", value: "no-referrer")
        return response
    }
}
