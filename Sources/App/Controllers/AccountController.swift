import Fluent
import Vapor

/// Sign-up, login, logout and the header's team switcher.
struct AccountController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(use: home)
        routes.get("signup", use: signupPage)
        routes.post("signup", use: signup)
        routes.get("login", use: loginPage)
        routes.post("login", use: login)
        routes.post("logout", use: logout)
        routes.grouped(RequireLoginMiddleware()).post("team", "switch", use: switchTeam)
    }

    struct SignupForm: Content {
        var name: String?
        var email: String?
        var password: String?
        var team: String?
        var error: String?
    }

    struct LoginForm: Content {
        var email: String?
        var password: String?
        var error: String?
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
            if try await User.query(on: req.db).filter(\.$email == email).first() != nil {
                return try await failed("An account with this email already exists. Log in instead.")
            }
            let hash = try await Passwords.hash(password, on: req)
            let user = User(name: name, email: email, passwordHash: hash)
            let team: Team
            do {
                team = try await req.db.transaction { db in
                    try await user.create(on: db)
                    let team = Team(name: teamName, slug: try await Team.uniqueSlug(for: teamName, on: db))
                    try await team.create(on: db)
                    try await Membership(userID: user.id!, teamID: team.id!, role: .admin).create(on: db)
                    try await Audit.record(.teamCreated, team: team.id!, by: user, "created the team “\(teamName)”", on: db)
                    return team
                }
            } catch let error as any DatabaseError where error.isConstraintFailure {
                // Two sign-ups raced for the same email (or slug): the loser gets a clear answer.
                return try await failed("An account with this email already exists. Log in instead.")
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
        let user = try await email.asyncFlatMap { try await User.query(on: req.db).filter(\.$email == $0).first() }
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

extension Optional {
    fileprivate func asyncFlatMap<U>(_ transform: (Wrapped) async throws -> U?) async rethrows -> U? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
