import Fluent
import Vapor

/// Sign-up, login, logout and the header's team switcher.
struct AccountController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.home, use: home)
        routes.get(.signup, use: signupPage)
        routes.post(.signup, use: signup)
        routes.get(.login, use: loginPage)
        routes.post(.login, use: login)
        routes.post(.logout, use: logout)
        routes.grouped(RequireLoginMiddleware()).post(.switchTeam, use: switchTeam)
    }

    struct SignupForm: Content {
        var name, email, password, team: String?
        /// The problem shown above the form when it comes back.
        var error: String?
    }

    struct LoginForm: Content {
        var email, password, error: String?
    }

    struct FormPage<Form: Encodable>: Encodable {
        let page: PageContext
        let form: Form
    }

    /// `/`: the Team page for people who are signed in, the login page for everyone else.
    @Sendable func home(req: Request) async throws -> Response {
        req.redirect(to: req.currentUser == nil ? SitePath.login.path : SitePath.team.path)
    }

    @Sendable func signupPage(req: Request) async throws -> Response {
        if req.currentUser != nil { return req.redirect(to: SitePath.team.path) }
        return try await req.renderPage("signup", FormPage(page: PageContext(req, title: "Sign up"), form: SignupForm()))
    }

    @Sendable func signup(req: Request) async throws -> Response {
        var form = try req.content.decode(SignupForm.self)
        let name = FormInput.name(form.name, field: "Name")
        let email = FormInput.email(form.email)
        let password = FormInput.newPassword(form.password)
        let teamName = FormInput.name(form.team, field: "Team name")
        form.password = nil
        func failed(_ message: String) async throws -> Response {
            form.error = message
            return try await req.renderPage("signup", FormPage(page: PageContext(req, title: "Sign up"), form: form), status: .unprocessableEntity)
        }
        switch (name, email, password, teamName) {
        case (.failure(let error), _, _, _), (_, .failure(let error), _, _), (_, _, .failure(let error), _), (_, _, _, .failure(let error)):
            return try await failed(error.message)
        case (.success(let name), .success(let email), .success(let password), .success(let teamName)):
            if try await AccountStore.user(email: email, on: req.db) != nil {
                return try await failed(AccountStore.emailTaken)
            }
            let hash = try await Passwords.hash(password, on: req)
            let user = User(name: name, email: email, passwordHash: hash)
            let team: Team
            do {
                team = try await AccountStore.signUp(user, teamName: teamName, on: req.db)
            } catch let error as DomainError {
                // Two sign-ups raced for the same email: the loser gets a clear answer.
                return try await failed(error.message)
            }
            try await Self.startSession(for: user, team: team.id, on: req)
            req.logger.info("user signed up", metadata: ["user": "\(user.id!)", "team": "\(team.id!)"])
            return req.redirect(to: SitePath.team.path)
        }
    }

    @Sendable func loginPage(req: Request) async throws -> Response {
        if req.currentUser != nil { return req.redirect(to: SitePath.team.path) }
        return try await req.renderPage("login", FormPage(page: PageContext(req, title: "Log in"), form: LoginForm()))
    }

    @Sendable func login(req: Request) async throws -> Response {
        var form = try req.content.decode(LoginForm.self)
        let password = form.password ?? ""
        form.password = nil
        // Only a well-formed address is looked up (a NUL byte, say, would upset PostgreSQL).
        let email = try? FormInput.email(form.email).get()
        let limits = req.application.limits
        let accountKey = "account:" + (email ?? String((FormInput.text(form.email) ?? "").lowercased().prefix(254)))
        let addressKey = "address:" + req.clientAddress
        if let blocked = limits.loginPerAccount.isBlocked(accountKey) ?? limits.loginPerAddress.isBlocked(addressKey) {
            // The same answer whether or not the account exists.
            let minutes = max(1, (blocked.resetSeconds + 59) / 60)
            form.error = "Too many failed login attempts. Try again in \(minutes) minute\(minutes == 1 ? "" : "s")."
            let response = try await req.renderPage("login", FormPage(page: PageContext(req, title: "Log in"), form: form), status: .tooManyRequests)
            response.headers.replaceOrAdd(name: .retryAfter, value: String(blocked.resetSeconds))
            return response
        }
        var user: User?
        if let email { user = try await AccountStore.user(email: email, on: req.db) }
        guard let user, password.count <= Passwords.maximumLength, try await Passwords.verify(password, against: user.passwordHash, on: req) else {
            if user == nil { try await Passwords.verifyAgainstDummy(String(password.prefix(Passwords.maximumLength)), on: req) }
            _ = limits.loginPerAccount.hit(accountKey)
            _ = limits.loginPerAddress.hit(addressKey)
            req.logger.notice("login failed", metadata: ["address": "\(req.clientAddress)"])
            // One message for every failure, so the page never tells whether an account exists.
            form.error = "Incorrect email or password."
            return try await req.renderPage("login", FormPage(page: PageContext(req, title: "Log in"), form: form), status: .unauthorized)
        }
        limits.loginPerAccount.reset(accountKey)
        try await Self.startSession(for: user, team: nil, on: req)
        return req.redirect(to: SitePath.team.path)
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
        return req.redirect(to: SitePath.team.path)
    }

    /// Signs `user` in on a brand-new session id: the old session row is deleted, so an id
    /// planted before login (session fixation) is worthless afterwards.
    static func startSession(for user: User, team: UUID?, on req: Request) async throws {
        if let oldID = req.session.id {
            try await req.application.sessions.driver.deleteSession(oldID, for: req).get()
            req.session.id = nil
        }
        req.session.data = SessionData()
        req.session.data[CurrentUserMiddleware.userKey] = user.id!.uuidString
        if let team { req.session.data[CurrentUserMiddleware.teamKey] = team.uuidString }
        CSRFMiddleware.rotate(for: req)
    }
}
