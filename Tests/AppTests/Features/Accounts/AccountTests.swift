import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Accounts: sign-up, login, logout, sessions")
struct AccountTests {
    @Test("signing up creates the user, a team they administer, and signs them in")
    func signUpCreatesAdminOfNewTeam() async throws {
        try await withKagibag { app in
            // setup
            let browser = Browser(app)
            let account = Browser.newAccount(team: "Acme Events")
            // MUT
            let response = try await browser.signUp(account)
            // validate
            #expect(response.status == .seeOther)
            #expect(response.headers.first(name: .location) == "/admin/team")
            let page = try await browser.get("/admin/team")
            #expect(page.status == .ok)
            #expect(browser.lastPage.contains("<h1>Acme Events</h1>"))
            #expect(browser.lastPage.contains(account.email))
            #expect(browser.lastPage.contains(#"<td data-label="Role">Admin</td>"#))
            let user = try #require(try await User.query(on: app.db).filter(\.$email == account.email).first())
            #expect(user.passwordHash.hasPrefix("$2"))
            #expect(!user.passwordHash.contains(account.password))
        }
    }

    @Test("an email is taken whatever its case")
    func duplicateEmailIgnoresCase() async throws {
        try await withKagibag { app in
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let second = Browser(app)
            let response = try await second.signUp(
                .init(name: "Other", email: account.email.uppercased(), password: "another password", team: "Other"))
            #expect(response.status == .unprocessableEntity)
            #expect(second.lastPage.contains("already exists"))
            #expect(try await User.query(on: app.db).count() == 1)
            #expect(try await Team.query(on: app.db).count() == 1)
        }
    }

    @Test("a password shorter than 10 characters is refused")
    func shortPasswordRefused() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            var account = Browser.newAccount()
            account = .init(name: account.name, email: account.email, password: "123456789", team: account.team)
            let response = try await browser.signUp(account)
            #expect(response.status == .unprocessableEntity)
            #expect(browser.lastPage.contains("at least 10 characters"))
            #expect(try await User.query(on: app.db).count() == 0)
        }
    }

    @Test("a wrong password and an unknown email get the same generic message")
    func wrongCredentialsAreGeneric() async throws {
        try await withKagibag { app in
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let wrongPassword = Browser(app)
            let first = try await wrongPassword.logIn(email: account.email, password: "not the password")
            let unknown = Browser(app)
            let second = try await unknown.logIn(email: "nobody@example.com", password: "not the password")
            #expect(first.status == .unauthorized)
            #expect(second.status == .unauthorized)
            #expect(wrongPassword.lastPage.contains("Incorrect email or password."))
            #expect(unknown.lastPage.contains("Incorrect email or password."))
            #expect(try await wrongPassword.get("/admin/team").status == .seeOther)
        }
    }

    @Test("logging in issues a new session id and the old one stops working")
    func loginRotatesSession() async throws {
        try await withKagibag { app in
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let browser = Browser(app)
            try await browser.logIn(email: account.email, password: account.password)
            let before = try #require(browser.cookie)
            try await browser.get("/admin/team")
            let response = try await browser.post(
                "/login", [("email", account.email.uppercased()), ("password", account.password)])
            #expect(response.status == .seeOther)
            let after = try #require(browser.cookie)
            #expect(after != before)
            #expect(try await browser.get("/admin/team").status == .ok)
            let planted = Browser(app)
            planted.cookie = before
            #expect(try await planted.get("/admin/team").status == .seeOther)
        }
    }

    @Test("the session cookie is HttpOnly and SameSite=Lax, and Secure when configured")
    func sessionCookieFlags() async throws {
        try await withKagibag({ $0.secureCookies = true }) { app in
            let response = try await Browser(app).signUp(Browser.newAccount())
            let cookie = try #require(response.headers[.setCookie].first { $0.hasPrefix("kagibag_session=") })
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Secure"))
        }
    }

    @Test("logging out ends the session in the database")
    func logoutEndsSession() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            try await browser.signUp(Browser.newAccount())
            let cookie = try #require(browser.cookie)
            try await browser.get("/admin/team")
            let response = try await browser.post("/logout")
            #expect(response.status == .seeOther)
            let replay = Browser(app)
            replay.cookie = cookie
            let page = try await replay.get("/admin/team")
            #expect(page.status == .seeOther)
            #expect(page.headers.first(name: .location) == "/login")
        }
    }

    @Test("a form posted without the CSRF token is refused and changes nothing")
    func postWithoutCSRFIsRefused() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            let account = Browser.newAccount()
            let response = try await browser.post(
                "/signup",
                [
                    ("name", account.name), ("email", account.email), ("password", account.password),
                    ("team", account.team),
                ], withCSRF: false)
            #expect(response.status == .forbidden)
            #expect(try await User.query(on: app.db).count() == 0)

            let forged = try await browser.post(
                "/signup",
                [
                    ("name", account.name), ("email", account.email), ("password", account.password),
                    ("team", account.team),
                    ("_csrf", "forged-token"),
                ], withCSRF: false)
            #expect(forged.status == .forbidden)
            #expect(try await User.query(on: app.db).count() == 0)
        }
    }

    static let malformedBodies: [String] = [
        "",
        "name=&email=&password=&team=",
        "name=\(String(repeating: "a", count: 10_000))&email=a%40example.com&password=correct+horse+battery&team=T",
        "name=A&email=\(String(repeating: "b", count: 10_000))%40example.com&password=correct+horse+battery&team=T",
        "name=A&email=a%40example.com&password=\(String(repeating: "p", count: 10_000))&team=T",
        "name=%FF%FE&email=a%40example.com&password=correct+horse+battery&team=%C3%28",
        "name=A&email=%00%40example.com&password=correct+horse+battery&team=T",
        "name[]=A&email[x]=y&password=1",
        "%%%%&&&===",
        "name=\u{1}\u{2}&email=a%40b.c&password=correct+horse+battery&team=%0A",
    ]

    @Test("malformed sign-up and login forms get a 4xx, never a 5xx, and create nothing", arguments: malformedBodies)
    func malformedFormsAreRefused(body: String) async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            try await browser.get("/signup")
            let csrf = try #require(browser.csrf)
            for path in ["/signup", "/login"] {
                let response = try await browser.post(path, withCSRF: false, rawBody: body + "&_csrf=" + csrf)
                #expect((400..<500).contains(response.status.code), "\(path) answered \(response.status)")
                #expect(response.headers.contentType?.subType == "html")
                browser.csrf = csrf
            }
            #expect(try await User.query(on: app.db).count() == 0)
        }
    }

    @Test("pages carry security headers and never a stack trace")
    func securityHeaders() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            for path in ["/login", "/signup", "/does-not-exist"] {
                let response = try await browser.get(path)
                #expect(response.headers.first(name: "X-Content-Type-Options") == "nosniff")
                let csp = try #require(response.headers.first(name: "Content-Security-Policy"))
                #expect(csp.contains("frame-ancestors 'none'"))
                #expect(csp.contains("script-src 'self'"))
                #expect(!csp.contains("unsafe-inline"))
                #expect(response.headers.first(name: "Referrer-Policy") != nil)
            }
            let missing = try await browser.get("/does-not-exist")
            #expect(missing.status == .notFound)
            #expect(browser.lastPage.contains("<h1>404 Not Found</h1>"))
        }
    }

    @Test("names are HTML-escaped wherever they appear")
    func outputIsEscaped() async throws {
        try await withKagibag { app in
            let browser = Browser(app)
            var account = Browser.newAccount(team: "<script>alert(1)</script>")
            account = .init(
                name: "\"><img src=x onerror=alert(1)>", email: account.email, password: account.password,
                team: account.team)
            try await browser.signUp(account)
            try await browser.get("/admin/team")
            #expect(!browser.lastPage.contains("<script>alert(1)</script>"))
            #expect(browser.lastPage.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            #expect(!browser.lastPage.contains("<img src=x"))
        }
    }

    @Test("the health check answers ok when the database does")
    func healthCheck() async throws {
        try await withKagibag { app in
            try await app.testing().test(.GET, "/healthz") { response in
                #expect(response.status == .ok)
                #expect(response.body.string == #"{"status":"ok"}"#)
            }
        }
    }
}
