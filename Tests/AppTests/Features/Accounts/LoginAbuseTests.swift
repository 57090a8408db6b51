import Fluent
import Testing
import VaporTesting

@testable import App

/// Findings 1 and 2 of issue 11, as an attacker sends them: only the default settings, and
/// only what any client sees (statuses, headers, rows).
@Suite("Sign-up and login bursts")
struct LoginAbuseTests {
    @Test("sign-ups are limited per client address: the 21st in an hour gets 429 with Retry-After and no account")
    func signupsAreLimitedPerAddress() async throws {
        try await withKagibag { app in
            // setup
            for _ in 0..<20 {
                #expect(try await Browser(app).signUp(Browser.newAccount()).status == .seeOther)
            }
            // MUT
            let browser = Browser(app)
            let response = try await browser.signUp(Browser.newAccount())
            // validate
            #expect(response.status == .tooManyRequests)
            #expect(Int(response.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            #expect(browser.lastPage.contains("Too many sign-ups from your network."))
            #expect(try await User.query(on: app.db).count() == 20)
        }
    }

    @Test(
        "30 concurrent wrong passwords for one account: at most 10 are checked, every other one is refused with Retry-After"
    )
    func concurrentGuessesGetNoMoreChecksThanTheLimit() async throws {
        try await withKagibag { app in
            // setup
            let account = Browser.newAccount()
            try await Browser(app).signUp(account)
            let browsers = (0..<30).map { _ in Browser(app) }
            for browser in browsers { try await browser.get("/login") }
            // MUT
            let responses = try await withThrowingTaskGroup(of: TestingHTTPResponse.self) { group in
                for browser in browsers {
                    group.addTask {
                        try await browser.post("/login", [("email", account.email), ("password", "wrong password!")])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // validate
            let statuses = responses.map(\.status.code)
            #expect(statuses.allSatisfy { [401, 429, 503].contains($0) }, "\(statuses)")
            #expect(statuses.filter { $0 == 401 }.count <= 10, "\(statuses)")
            for refused in responses where refused.status != .unauthorized {
                #expect(Int(refused.headers.first(name: .retryAfter) ?? "") ?? 0 > 0)
            }
        }
    }
}
