import Foundation
import Testing
import VaporTesting

@testable import App

/// A cookie-keeping web client for HTTP tests: it remembers its cookies (the session's, and
/// the anonymous forms' CSRF cookie) and the CSRF token of the last page it loaded, and fills
/// in `_csrf` on the forms it posts.
final class Browser: @unchecked Sendable {
    let app: Application
    /// The session cookie's value.
    var cookie: String?
    /// Every other cookie the server set, by name.
    var otherCookies: [String: String] = [:]
    var csrf: String?
    private(set) var lastPage = ""

    init(_ app: Application) {
        self.app = app
    }

    @discardableResult
    func get(_ path: String) async throws -> TestingHTTPResponse {
        let response = try await app.testing().sendRequest(.GET, path, headers: cookieHeaders())
        absorb(response)
        return response
    }

    /// Posts `form` as a browser would; `withCSRF: false` leaves the token out.
    @discardableResult
    func post(_ path: String, _ form: [(String, String)] = [], withCSRF: Bool = true, rawBody: String? = nil)
        async throws -> TestingHTTPResponse
    {
        if withCSRF, csrf == nil { try await get("/login") }
        var fields = form
        if withCSRF, let csrf { fields.append(("_csrf", csrf)) }
        let body = rawBody ?? fields.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        var headers = cookieHeaders()
        headers.contentType = .urlEncodedForm
        let response = try await app.testing().sendRequest(
            .POST, path, headers: headers, body: ByteBuffer(string: body))
        absorb(response)
        return response
    }

    func cookieHeaders() -> HTTPHeaders {
        var pairs = otherCookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        if let cookie { pairs.insert("kagibag_session=\(cookie)", at: 0) }
        return pairs.isEmpty ? [:] : ["Cookie": pairs.joined(separator: "; ")]
    }

    private func absorb(_ response: TestingHTTPResponse) {
        for header in response.headers[.setCookie] {
            let pair = header.prefix { $0 != ";" }
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]), value = String(pair[pair.index(after: equals)...])
            let expired = value.isEmpty || header.lowercased().contains("max-age=0") || header.contains("1970")
            if name == "kagibag_session" {
                cookie = expired ? nil : value
            } else {
                otherCookies[name] = expired ? nil : value
            }
        }
        let page = String(buffer: response.body)
        lastPage = page
        if let token = Self.firstMatch(#"name="_csrf" value="([^"]+)""#, in: page) { csrf = token }
    }

    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let range = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[range])
    }

    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    // MARK: - Journeys

    struct Account {
        let name: String
        let email: String
        let password: String
        let team: String
    }

    static func newAccount(team: String = "Acme Events") -> Account {
        let id = UUID().uuidString.prefix(8).lowercased()
        return Account(
            name: "User \(id)", email: "user-\(id)@example.com", password: "correct horse battery", team: team)
    }

    /// Two people who each signed up with a team of their own: `admin` (team `team`) and `other`
    /// (team "Elsewhere"), who has not joined `admin`'s team yet.
    static func twoSignedUp(_ app: Application, team: String = "Acme Events") async throws -> (
        admin: Browser, other: Browser, otherAccount: Account
    ) {
        let admin = Browser(app), other = Browser(app)
        let otherAccount = newAccount(team: "Elsewhere")
        try await admin.signUp(newAccount(team: team))
        try await other.signUp(otherAccount)
        return (admin, other, otherAccount)
    }

    /// Signs up `account` and returns the response to the sign-up POST.
    @discardableResult
    func signUp(_ account: Account) async throws -> TestingHTTPResponse {
        try await get("/signup")
        return try await post(
            "/signup",
            [
                ("name", account.name), ("email", account.email), ("password", account.password),
                ("team", account.team),
            ])
    }

    @discardableResult
    func logIn(email: String, password: String) async throws -> TestingHTTPResponse {
        try await get("/login")
        return try await post("/login", [("email", email), ("password", password)])
    }

    /// `admin` invites `email` (this browser's account) to their current team as `role`, and
    /// this browser accepts from the banner; afterwards it works in that team.
    func joinTeam(of admin: Browser, email: String, role: String = "member") async throws {
        try await admin.get("/admin/team")
        #expect(try await admin.post("/admin/team/members", [("email", email), ("role", role)]).status == .seeOther)
        try await admin.get("/admin/team")  // shows (and so clears) the notice
        try await get("/admin")
        // (Before invitations, adding made the member at once: then there is nothing to accept.)
        if let accept = Self.firstMatch(#"action="(/invitations/[0-9a-f-]+/accept)""#, in: lastPage) {
            #expect(try await post(accept).status == .seeOther)
        }
    }

    /// Creates an API key on the current team and returns its plaintext, read from the page.
    /// `fields` are more of the form's fields (permissions, addresses, …).
    func createKey(named name: String, _ fields: [(String, String)] = []) async throws -> String {
        try await get("/admin/team/api-keys/new")
        let nonce = Self.firstMatch(#"name="nonce" value="([^"]+)""#, in: lastPage) ?? ""
        let response = try await post("/admin/team/api-keys", [("name", name), ("nonce", nonce)] + fields)
        #expect(response.status == .created)
        return try #require(Self.firstMatch(#"id="new-api-key"[^>]*>(kgb_[0-9A-Za-z]+)<"#, in: lastPage))
    }

    /// A new admin of "Acme Events" with one key named "CRM sync" made with `fields`; returns the
    /// admin, the key and the path of its page.
    static func adminWithKey(_ app: Application, _ fields: [(String, String)] = []) async throws -> (
        Browser, String, String
    ) {
        let admin = Browser(app)
        try await admin.signUp(newAccount())
        let key = try await admin.createKey(named: "CRM sync", fields)
        let id = try #require(try await APIKey.query(on: app.db).first()?.id)
        return (admin, key, "/admin/team/api-keys/\(id.lowercasedString)")
    }

    /// Rolls the key at `keyPath` from its page and returns the new secret.
    func rollKey(at keyPath: String, grace: Int, _ fields: [(String, String)] = []) async throws -> String {
        try await get(keyPath)
        let nonce = Self.firstMatch(#"name="nonce" value="([^"]+)""#, in: lastPage) ?? ""
        let replacing =
            Self.firstMatch(#"name="replacing" value="([^"]+)""#, in: lastPage).map { [("replacing", $0)] } ?? []
        let response = try await post(
            keyPath + "/roll", [("grace", String(grace)), ("nonce", nonce), ("confirmed", "yes")] + replacing + fields)
        #expect(response.status == .created)
        return try #require(Self.firstMatch(#"id="new-api-key"[^>]*>(kgb_[0-9A-Za-z]+)<"#, in: lastPage))
    }
}
