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
        /// The token of the invitation link the form came from: no team to name then.
        var invitation: String?
        /// The problem shown above the form when it comes back.
        var error: String?
    }

    struct LoginForm: Content {
        var email, password, error: String?
        /// The invitation link to go back to once logged in.
        var invitation: String?
    }

    struct FormPage<Form: Encodable>: Encodable {
        let page: PageContext
        let form: Form
        var errors = FormErrors.none
        /// Sign-up with an address that has an account: its error links to the login page.
        var emailTaken = false
        /// The invitation the form completes (from its link), if any.
        var invitation: JoinController.Offer? = nil
    }

    static let signupFieldIDs = ["name": "name", "email": "email", "password": "password", "team": "team"]

    /// `/`: the Team page for people who are signed in, the login page for everyone else.
    @Sendable func home(req: Request) async throws -> Response {
        req.redirect(to: req.currentUser == nil ? SitePath.login.path : SitePath.team.path)
    }

    @Sendable func signupPage(req: Request) async throws -> Response {
        if req.currentUser != nil { return req.redirect(to: SitePath.team.path) }
        return try await req.renderPage(
            "signup", FormPage(page: PageContext(req, title: "Sign up"), form: SignupForm()))
    }

    /// The sign-up form an invitation link opens: the invited address, no team to name.
    static func signupPage(invitation: JoinController.Offer, on req: Request) async throws -> Response {
        try await req.renderPage(
            "signup",
            FormPage(
                page: PageContext(req, title: "Join \(invitation.team)"),
                form: SignupForm(email: invitation.email, invitation: invitation.token), invitation: invitation))
    }

    @Sendable func signup(req: Request) async throws -> Response {
        var form = try req.content.decode(SignupForm.self)
        // From an invitation's link: the invited address joins that team and names none. A link
        // that stopped working meanwhile leaves the ordinary form, with a team to name.
        var offer: JoinController.Offer?
        var linkGone = false
        if let token = form.invitation, !token.isEmpty {
            if let invitation = try await InvitationStore.find(linkToken: token, on: req.db) {
                offer = JoinController.Offer(invitation, token: token)
            } else {
                linkGone = true
                form.invitation = nil
            }
        }
        // Every problem at once, each next to its field.
        var validation = Validation()
        let name = TextRule.personOrTeamName.check(form.name, InputField("name", label: "Name"), into: &validation)
        var email = EmailRule.check(form.email, into: &validation)
        if let offer, let given = email, given != offer.email {
            validation.add(
                FieldProblem(
                    field: "email",
                    message:
                        "This invitation is for \(offer.email). Sign up with that address, or without the link to start a team of your own."
                ))
            email = nil
        }
        let password = PasswordHasher.checkNew(form.password, into: &validation)
        let teamName =
            offer != nil
            ? "" : TextRule.personOrTeamName.check(form.team, InputField("team", label: "Team name"), into: &validation)
        form.password = nil
        let title = offer.map { "Join \($0.team)" } ?? "Sign up"
        func answer(_ message: String, _ status: HTTPStatus, retryAfter: Int? = nil) async throws -> Response {
            form.error = message
            let page = FormPage(page: PageContext(req, title: title), form: form, invitation: offer)
            let response = try await req.renderPage("signup", page, status: status)
            if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
            return response
        }
        func answer(_ problems: [FieldProblem], emailTaken: Bool = false) async throws -> Response {
            if linkGone { form.error = Self.invitationLinkGone }
            let page = FormPage(
                page: PageContext(req, title: title), form: form,
                errors: FormErrors(problems, ids: Self.signupFieldIDs), emailTaken: emailTaken, invitation: offer)
            return try await req.renderPage("signup", page, status: .unprocessableEntity)
        }
        switch (name, email, password, teamName) {
        case (let name?, let email?, let password?, let teamName?):
            if linkGone { return try await answer(Self.invitationLinkGone, .notFound) }
            // Counted before any work, whatever comes of it: the limit bounds the sign-ups (and
            // the "already exists" answers) one address can cause.
            let limiter = req.application.limits.signupPerAddress
            let addressKey = "signup:" + req.clientAddressLimitKey
            let decision = limiter.hit(addressKey)
            guard decision.allowed else {
                let minutes = Self.minutes(decision.resetSeconds)
                return try await answer(
                    "Too many sign-ups from your network. Try again in \(minutes).", .tooManyRequests,
                    retryAfter: decision.resetSeconds)
            }
            if try await AccountStore.user(email: email, on: req.db) != nil {
                return try await answer(
                    [FieldProblem(field: "email", message: AccountStore.emailTaken)], emailTaken: true)
            }
            let hash: String
            do {
                hash = try await req.passwordHasher.hash(password)
            } catch is PasswordHasher.Busy {
                limiter.release(addressKey)  // refused before any work: it does not count
                return try await answer(Self.busy, .serviceUnavailable, retryAfter: PasswordHasher.retryAfterSeconds)
            }
            let user = User(name: name, email: email, passwordHash: hash)
            let team: Team
            do {
                if let offer {
                    team = try await AccountStore.signUp(user, acceptingLink: offer.token, on: req.db)
                } else {
                    team = try await AccountStore.signUp(user, teamName: teamName, on: req.db)
                }
            } catch DomainError.notFound(let message) {
                // The invitation went while the password was hashed: the ordinary form again.
                offer = nil
                form.invitation = nil
                return try await answer(message, .notFound)
            } catch let error as DomainError {
                // Two sign-ups raced for the same email: the loser gets a clear answer.
                return try await answer(
                    error.problems, emailTaken: error.problems.first?.message == AccountStore.emailTaken)
            }
            try await Self.startSession(for: user, team: team.id, on: req)
            if let offer {
                Notice.set("Welcome to \(team.name). You joined it as \(offer.role).", on: req)
            } else {
                NextSteps.offer(on: req)
            }
            req.logger.info("user signed up", metadata: ["user": "\(user.id!)", "team": "\(team.id!)"])
            return req.redirect(to: SitePath.team.path)
        default:
            return try await answer(validation.problems)
        }
    }

    static let busy = APIError.busyMessage
    static let invitationLinkGone =
        "That invitation link no longer works: it was used, withdrawn, or it expired. You can still sign up and start a team of your own, or ask for a new invitation."

    /// "3 minutes", from seconds.
    static func minutes(_ seconds: Int) -> String {
        let minutes = max(1, (seconds + 59) / 60)
        return "\(minutes) minute\(minutes == 1 ? "" : "s")"
    }

    /// The form page again, with its problem, status and, for a refusal, `Retry-After`.
    static func render(
        _ template: String, title: String, form: some Encodable, status: HTTPStatus, retryAfter: Int?, on req: Request
    ) async throws -> Response {
        let response = try await req.renderPage(
            template, FormPage(page: PageContext(req, title: title), form: form), status: status)
        if let retryAfter { response.headers.replaceOrAdd(name: .retryAfter, value: String(retryAfter)) }
        return response
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
