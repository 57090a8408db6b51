import Dispatch
import Fluent
import Testing
import VaporTesting

@testable import App

/// The password hasher's bounds and the login limits' reservations, measured from the inside:
/// how many bcrypt runs a request cost, and what a full queue answers.
@Suite("Password work: bounded, reserved, one bcrypt per attempt")
struct PasswordWorkTests {
    @Test("with every hashing thread busy and the queue full, login and sign-up answer 503 with Retry-After at once")
    func fullQueueRefusesAtOnce() async throws {
        try await withKagibag({
            $0.passwordThreads = 1; $0.passwordQueue = 0
        }) { app in
            // setup: the only hashing thread is held until the test lets go
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let hasher = app.passwordHasher
            let gate = DispatchSemaphore(value: 0)
            let held = Task { try await hasher.run { gate.wait() } }
            while try await app.metric("kagibag_password_work_in_flight") == 0 {
                try await Task.sleep(for: .milliseconds(5))
            }
            let browser = Browser(app), newcomer = Browser(app)
            try await browser.get("/login")
            try await newcomer.get("/signup")
            // Had a request queued for the thread, it would wait until this lets go.
            let failsafe = Task {
                try await Task.sleep(for: .seconds(30))
                gate.signal()
            }
            // MUT
            let login = try await browser.post("/login", [("email", account.email), ("password", account.password)])
            let signup = try await newcomer.post(
                "/signup",
                [
                    ("name", "New"), ("email", "new@example.com"), ("password", "correct horse battery"),
                    ("team", "New team"),
                ])
            let answeredWhileHeld = try await app.metric("kagibag_password_work_in_flight") == 1
            failsafe.cancel()
            gate.signal()
            try await held.value
            // validate
            for response in [login, signup] {
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers.first(name: .retryAfter) == "1")
                #expect(String(buffer: response.body).contains("Kagibag is busy right now."))
            }
            #expect(answeredWhileHeld)
            #expect(try await User.query(on: app.db).count() == 1)
            // Refused before any check: the attempt did not count, and the same login now works.
            try await browser.get("/login")
            #expect(
                try await browser.post("/login", [("email", account.email), ("password", account.password)]).status
                    == .seeOther)
        }
    }

    @Test(
        "30 concurrent wrong passwords for one account: exactly 10 bcrypt checks, 20 refusals that never reach bcrypt")
    func accountReservationsBoundTheChecks() async throws {
        try await withKagibag({ $0.passwordQueue = 100 }) { app in
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let statuses = try await Self.burst(app, count: 30) { _ in (account.email, "wrong password!") }
            #expect(statuses.filter { $0 == 401 }.count == 10)
            #expect(statuses.filter { $0 == 429 }.count == 20)
            #expect((try await app.bcryptRuns()) == 1 + 10)  // the sign-up's hash, and the 10 checks
            // The right password is refused too now: the account is blocked for the window.
            let browser = Browser(app)
            #expect(
                try await browser.logIn(email: account.email, password: account.password).status == .tooManyRequests)
        }
    }

    @Test(
        "80 concurrent failures from one address: exactly 50 checked, none a 5xx, and the address is blocked afterwards"
    )
    func addressReservationsBoundTheChecks() async throws {
        try await withKagibag({ $0.passwordQueue = 100 }) { app in
            let statuses = try await Self.burst(app, count: 80) { n in ("nobody-\(n)@example.com", "wrong password!") }
            #expect(statuses.filter { $0 == 401 }.count == 50)
            #expect(statuses.filter { $0 == 429 }.count == 30)
            #expect((try await app.bcryptRuns()) == 50)
            #expect(
                try await Browser(app).logIn(email: "someone@example.com", password: "any password at all").status
                    == .tooManyRequests)
        }
    }

    static let failures: [(String, String, String)] = [
        ("wrong password", "known", "not the password"),
        ("unknown email", "nobody@example.com", "not the password"),
        ("malformed email", "not an email", "not the password"),
        ("over-long password, known email", "known", String(repeating: "p", count: 5000)),
        ("over-long password, unknown email", "nobody@example.com", String(repeating: "p", count: 5000)),
        ("empty password", "known", ""),
    ]

    @Test(
        "every login failure costs exactly one bcrypt at the configured cost, whatever the reason", arguments: failures)
    func everyFailureCostsOneBcrypt(reason: String, email: String, password: String) async throws {
        try await withKagibag { app in
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let before = (try await app.bcryptRuns())
            let browser = Browser(app)
            let response = try await browser.logIn(email: email == "known" ? account.email : email, password: password)
            #expect(response.status == .unauthorized, "\(reason)")
            #expect(browser.lastPage.contains("Incorrect email or password."))
            #expect((try await app.bcryptRuns()) - before == 1, "\(reason)")
        }
    }

    /// `count` logins at once, each from its own browser; returns their statuses.
    static func burst(_ app: Application, count: Int, credentials: (Int) -> (String, String)) async throws -> [UInt] {
        let browsers = (0..<count).map { _ in Browser(app) }
        for browser in browsers { try await browser.get("/login") }
        return try await withThrowingTaskGroup(of: UInt.self) { group in
            for (n, browser) in browsers.enumerated() {
                let (email, password) = credentials(n)
                group.addTask {
                    try await browser.post("/login", [("email", email), ("password", password)]).status.code
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }
}

extension Application {
    /// bcrypt computations finished so far, as /metrics counts them.
    func bcryptRuns() async throws -> Int {
        Int(try await metric(#"kagibag_password_work_total{outcome="done"}"#))
    }
}
