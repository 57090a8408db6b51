import Fluent
import Vapor

/// Login (limited per address and per account), logout and the header's team switcher.
extension AccountController {
    @Sendable func loginPage(req: Request) async throws -> Response {
        let invitation = Self.invitationToken(req.query[String.self, at: "invitation"])
        if req.currentUser != nil {
            return req.redirect(to: invitation.map { SitePath.join($0).path } ?? SitePath.team.path)
        }
        let response = try await req.renderPage(
            "login", FormPage(page: PageContext(req, title: "Log in"), form: LoginForm(invitation: invitation)))
        return invitation == nil ? response : JoinController.sendNoReferrer(response)
    }

    /// An invitation link's token carried through the login form, if it looks like one.
    static func invitationToken(_ text: String?) -> String? {
        guard let text, Invitation.isWellFormedLinkToken(text) else { return nil }
        return text
    }

    /// Every failure costs one bcrypt at the configured cost, whatever the reason (unknown or
    /// malformed email, over-long or wrong password), and shows the same message, so neither the
    /// page nor its timing tells whether an account exists.
    ///
    /// The attempt is counted against the account's and the address's limits *before* the
    /// check, and given back only if the password was right or nothing was checked: a burst of
    /// concurrent guesses gets no more checks than the limit, and one over it never reaches bcrypt.
    @Sendable func login(req: Request) async throws -> Response {
        var form = try req.content.decode(LoginForm.self)
        form.invitation = Self.invitationToken(form.invitation)
        let password = form.password ?? ""
        form.password = nil
        func answer(_ message: String, _ status: HTTPStatus, retryAfter: Int? = nil) async throws -> Response {
            form.error = message
            return try await Self.render(
                "login", title: "Log in", form: form, status: status, retryAfter: retryAfter, on: req)
        }
        // Only a well-formed address is looked up (a NUL byte, say, would upset PostgreSQL).
        let email = EmailRule.normalised(form.email)
        let limits = req.application.limits
        let accountKey = "account:" + (email ?? String((Validation.trimmed(form.email) ?? "").lowercased().prefix(254)))
        let addressKey = "address:" + req.clientAddressLimitKey
        let byAddress = limits.loginPerAddress.hit(addressKey)
        let byAccount = limits.loginPerAccount.hit(accountKey)
        func giveBack() {
            limits.loginPerAddress.release(addressKey)
            limits.loginPerAccount.release(accountKey)
        }
        guard byAddress.allowed, byAccount.allowed else {
            giveBack()
            // The same answer whether or not the account exists.
            let wait = [byAddress, byAccount].filter { !$0.allowed }.map(\.resetSeconds).max() ?? 60
            return try await answer(
                "Too many failed login attempts. Try again in \(Self.minutes(wait)).", .tooManyRequests,
                retryAfter: wait)
        }
        let user: User?
        let verified: Bool
        do {
            if let email { user = try await AccountStore.user(email: email, on: req.db) } else { user = nil }
            let hash = password.count <= PasswordHasher.maximumLength ? user?.passwordHash : nil
            verified = try await req.passwordHasher.verify(password, against: hash)
        } catch is PasswordHasher.Busy {
            giveBack()
            return try await answer(Self.busy, .serviceUnavailable, retryAfter: PasswordHasher.retryAfterSeconds)
        } catch {
            giveBack()
            throw error
        }
        guard verified, let user else {
            req.logger.notice("login failed", metadata: ["address": "\(req.clientAddress)"])
            // One message for every failure, so the page never tells whether an account exists.
            return try await answer("Incorrect email or password.", .unauthorized)
        }
        limits.loginPerAccount.reset(accountKey)
        limits.loginPerAddress.release(addressKey)
        // The team they worked in last, if they still belong to it (else their first).
        try await Self.startSession(for: user, team: user.lastTeamID, on: req)
        return req.redirect(to: form.invitation.map { SitePath.join($0).path } ?? SitePath.team.path)
    }

    @Sendable func logout(req: Request) async throws -> Response {
        req.session.destroy()
        return req.redirect(to: SitePath.login.path)
    }

    struct SwitchForm: Content { var team: String? }

    @Sendable func switchTeam(req: Request) async throws -> Response {
        let current = try req.requireUser()
        let wanted = try req.content.decode(SwitchForm.self).team.flatMap(UUID.init(uuidString:))
        guard let wanted, current.memberships.contains(where: { $0.team.id == wanted }) else {
            throw Abort(.notFound, reason: "You are not a member of that team.")
        }
        req.session.data[CurrentUserMiddleware.teamKey] = wanted.uuidString
        try await TeamStore.setLastTeam(wanted, of: current.user.id!, on: req.db)
        let name = current.memberships.first { $0.team.id == wanted }?.team.name ?? "the team"
        Notice.set("Switched to \(name). The Admin pages now show this team.", on: req)
        return req.redirect(to: SitePath.team.path)
    }
}
