import APIKeyCore
import Fluent
import Foundation
import NIOCore
import Testing
import VaporTesting

@testable import App

/// What an attacker who controls many addresses, forged headers or slow connections gets
/// (issue 22, findings 5, 6, 8 and 11), over real connections through a trusted proxy's header.
@Suite("Attackers' addresses, headers and stalled uploads")
struct AttackerAddressTests {
    /// A server that believes 127.0.0.1 (the test's own connections) as its load balancer.
    func behindProxy(
        _ adjust: @escaping (inout Settings) -> Void = { _ in }, _ body: (Application, LiveServer) async throws -> Void
    ) async throws {
        try await withKagibag({ settings in
            settings.trustedProxies = [try! AddressRange(parsing: "127.0.0.1")]
            adjust(&settings)
        }) { app in
            try await LiveServer.with(app) { live in try await body(app, live) }
        }
    }

    // A limit of 20 rather than the default 100, and the count held to the minutes the requests
    // took: the window is a minute from the first failure, and on a loaded 2-core machine
    // running the whole suite (and a benchmark) even 40 requests in turn have taken over a
    // minute, so a second window opened midway.
    @Test("40 invented keys from one IPv6 /64, a new address each, get at most 20 × 401 a minute and then 429")
    func inventedKeysFromOneSlash64() async throws {
        try await behindProxy({ $0.keyFailuresPerMinute = 20 }) { _, live in
            var statuses: [UInt: Int] = [:]
            let started = ContinuousClock.now
            for index in 0..<40 {
                let headers: HTTPHeaders = [
                    "Authorization": "Bearer \(APIKeyToken.generate().plaintext)",
                    "X-Forwarded-For": "2001:db8:1:2:\(String(index, radix: 16)):\(String(index * 7, radix: 16))::1",
                ]
                statuses[
                    try await live.send(.GET, "/api/v1/organizer/events", headers: headers).status.code, default: 0] +=
                    1
            }
            let windows = 1 + Int((ContinuousClock.now - started) / .seconds(60))
            #expect(statuses[401, default: 0] <= 20 * windows, "\(statuses) in \(windows) minute(s)")
            if windows == 1 {
                #expect(statuses[429, default: 0] >= 20)
                #expect(Set(statuses.keys) == [401, 429])
            }
            // Another /64 is someone else.
            let other: HTTPHeaders = [
                "Authorization": "Bearer \(APIKeyToken.generate().plaintext)", "X-Forwarded-For": "2001:db8:1:3::1",
            ]
            #expect(try await live.send(.GET, "/api/v1/organizer/events", headers: other).status == .unauthorized)
        }
    }

    @Test("sign-ups, failed logins and public revocations from one IPv6 /64 share one limit")
    func formsAndRevocationsFromOneSlash64() async throws {
        try await behindProxy({
            $0.signupsPerAddress = 5
            $0.loginAttemptsPerAddress = 5
            $0.credentialRevocationsPerMinute = 5
        }) { app, live in
            let existing = Browser.newAccount()
            try await Browser(app).signUp(existing)
            func address(_ index: Int) -> String { "2001:db8:aa:bb:\(String(index, radix: 16))::\(index + 1)" }
            var signups: [UInt] = [], logins: [UInt] = [], revocations: [UInt] = []
            let started = ContinuousClock.now
            for index in 0..<8 {
                let visitor = Browser(app)
                try await visitor.get("/signup")
                let fresh = Browser.newAccount()
                // The enumeration: "already exists" answers.
                let account = Browser.Account(
                    name: fresh.name, email: existing.email, password: fresh.password, team: fresh.team)
                signups.append(
                    try await live.post(
                        "/signup",
                        [
                            ("name", account.name), ("email", account.email), ("password", account.password),
                            ("team", account.team),
                        ], as: visitor, from: address(index)
                    ).status.code)
                try await visitor.get("/login")
                logins.append(
                    try await live.post(
                        "/login", [("email", "nobody-\(index)@example.com"), ("password", "wrong password here")],
                        as: visitor, from: address(index)
                    ).status.code)
                var headers: HTTPHeaders = ["X-Forwarded-For": address(index)]
                headers.contentType = .json
                revocations.append(
                    try await live.send(
                        .POST, "/api/v1/credentials/revoke", headers: headers, body: #"{"credentials":["kgb_x"]}"#
                    ).status.code)
            }
            #expect(
                signups.prefix(5).allSatisfy { $0 == 422 } && signups.dropFirst(5).allSatisfy { $0 == 429 },
                "\(signups)")
            #expect(
                logins.prefix(5).allSatisfy { $0 == 401 } && logins.dropFirst(5).allSatisfy { $0 == 429 }, "\(logins)")
            // Five a minute: 8 in a row leave 3 refused, unless the loop (bcrypt for every sign-up,
            // on a loaded machine) took past the minute and a new window admitted a few more.
            let minutes = Int(((ContinuousClock.now - started) / .seconds(60)).rounded(.up))
            let admitted = revocations.filter { $0 != 429 }.count
            if minutes <= 1 {
                #expect(revocations.filter { $0 == 429 }.count == 3, "\(revocations)")
            } else {
                #expect(admitted <= 5 * minutes, "\(revocations) in \(minutes) minutes")
            }
        }
    }

    @Test(
        "behind a proxy that appends X-Forwarded-For, a client's own Forwarded header does not pass a key's address fence"
    )
    func forgedForwardedDoesNotPassTheFence() async throws {
        try await behindProxy { app, live in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "Door", [("allowed_addresses", "198.51.100.7")])
            func status(_ headers: [(String, String)]) async throws -> UInt {
                var all: HTTPHeaders = ["Authorization": "Bearer \(key)"]
                for (name, value) in headers { all.add(name: name, value: value) }
                return try await live.send(.GET, "/api/v1/organizer/events", headers: all).status.code
            }
            // The client writes Forwarded; the proxy appends the real address to X-Forwarded-For.
            #expect(try await status([("Forwarded", "for=198.51.100.7"), ("X-Forwarded-For", "203.0.113.5")]) == 403)
            #expect(try await status([("X-Forwarded-For", "198.51.100.7")]) == 200)
            // A client-written entry left of the proxy's is not the client: the right-most untrusted one is.
            #expect(try await status([("X-Forwarded-For", "198.51.100.7, 203.0.113.5")]) == 403)
            // With a port, as some proxies write it.
            #expect(try await status([("X-Forwarded-For", "198.51.100.7:51234")]) == 200)
        }
    }

    @Test("a proxy that writes Forwarded is believed only when the operator says so")
    func forwardedWhenConfigured() async throws {
        try await behindProxy({ $0.trustedProxyHeader = .forwarded }) { app, live in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "Door", [("allowed_addresses", "2001:db8::7")])
            var headers: HTTPHeaders = [
                "Authorization": "Bearer \(key)", "Forwarded": #"for="[2001:db8::7]:4711";proto=https"#,
            ]
            #expect(try await live.send(.GET, "/api/v1/organizer/events", headers: headers).status == .ok)
            headers.replaceOrAdd(name: "Forwarded", value: "for=203.0.113.5")
            headers.replaceOrAdd(name: "X-Forwarded-For", value: "2001:db8::7")
            #expect(try await live.send(.GET, "/api/v1/organizer/events", headers: headers).status == .forbidden)
        }
    }

    @Test(
        "stalled GitHub uploads: 4 at once per address, then 429; a stalled one ends with 408 and the server keeps serving"
    )
    func stalledReports() async throws {
        let partner = try PartnerKeys()
        defer { partner.remove() }
        try await withKagibag({
            $0.secretScanningKeysFile = partner.file
            // Generous, so that on a loaded machine (the whole suite runs in parallel) every head is
            // read before the first body times out; the idle timeout must outlast the read timeout.
            $0.reportReadTimeoutSeconds = 6
            $0.idleTimeoutSeconds = 10
        }) { app in
            try await LiveServer.with(app) { live in
                let port = Int(live.base.split(separator: ":").last!)!
                let head =
                    "POST /api/v1/secret-scanning/github HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    + "\(GitHubSecretScanningController.identifierHeader): \(partner.identifier)\r\n\(GitHubSecretScanningController.signatureHeader): MEUCIQ==\r\n"
                    + "Content-Length: 200000\r\n\r\n[{\"token\":"
                var connections: [RawConnection] = []
                for _ in 0..<6 {
                    let connection = try await RawConnection.open(port: port, on: app.eventLoopGroup)
                    try await connection.send(head)
                    connections.append(connection)
                    try await Task.sleep(for: .milliseconds(50))
                }
                // Meanwhile the server answers everyone else.
                #expect(try await live.send(.GET, "/healthz").status == .ok)
                // Four are read (and time out with 408), the others are refused at once; which four
                // depends on which heads the server read first. (On a machine loaded enough that the
                // server reads the sixth head only after a first upload timed out, that slot is free
                // again and the sixth is read too: 408 five times.)
                var statuses: [Int?] = []
                for connection in connections { statuses.append(try await connection.status(within: 20)) }
                let answered = statuses.compactMap { $0 }
                #expect(answered.count == 6 && answered.allSatisfy { $0 == 408 || $0 == 429 }, "\(statuses)")
                #expect(answered.filter { $0 == 408 }.count >= 4 && answered.contains(429), "\(statuses)")
                let timedOut = zip(connections, statuses).filter { $0.1 == 408 }.map(\.0)
                try #require(!timedOut.isEmpty)
                // What the client sends after its 408 is not read (nor kept), and the idle connection is closed.
                try? await timedOut[0].send(String(repeating: "x", count: 100_000))
                try await Task.sleep(for: .seconds(13))
                #expect(timedOut.allSatisfy { $0.isClosed })
                #expect(!timedOut[0].text.contains("HTTP/1.1 2"))
                for connection in connections { await connection.close() }
                // The places are free again.
                let again = try await RawConnection.open(port: port, on: app.eventLoopGroup)
                try await again.send(head)
                #expect(try await again.status(within: 20) == 408)
                await again.close()
            }
        }
    }

    @Test("a refusal for being busy is a deliberate 503 with its own message, not a logged server error")
    func busyIsNoCrash() async throws {
        try await withKagibag { app in
            let request = Request(application: app, method: .GET, url: "/api/v1/x", on: app.eventLoopGroup.any())
            request.state.audience = .api
            let response = try await ErrorMiddleware(webPage: ErrorPage.render).respond(
                to: request,
                chainingTo: Responder { _ in
                    throw APIError(
                        status: .serviceUnavailable, detail: "Too many reports are being received right now.",
                        headers: ["Retry-After": "5"])
                })
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers.first(name: .retryAfter) == "5")
            #expect(response.body.string?.contains("Too many reports are being received right now.") == true)
        }
    }

    @Test("a client's X-Request-Id reaches the log only from a trusted proxy, and only if well-formed")
    func requestIDs() async throws {
        try await withKagibag({ $0.trustedProxies = [try! AddressRange(parsing: "10.0.0.2")] }) { app in
            func loggedID(_ presented: String, from peer: String) async throws -> String? {
                let request = Request(
                    application: app, method: .GET, url: "/healthz", headers: ["X-Request-Id": presented],
                    remoteAddress: try SocketAddress(ipAddress: peer, port: 4000), on: app.eventLoopGroup.any())
                let seen = RequestIDBox()
                _ = try await RequestIDMiddleware(logLevel: .trace).respond(
                    to: request,
                    chainingTo: Responder { request in
                        seen.value = request.logger[metadataKey: "request-id"].map { "\($0)" }
                        return Response(status: .ok)
                    })
                return seen.value
            }
            #expect(try await loggedID("abc-123_x.y", from: "10.0.0.2") == "abc-123_x.y")
            for forged in ["abc\nfake log line", "a b", String(repeating: "a", count: 65), "", "é"] {
                let id = try await loggedID(forged, from: "10.0.0.2")
                #expect(id != forged && UUID(uuidString: id ?? "") != nil)
            }
            let direct = try await loggedID("abc-123", from: "203.0.113.9")
            #expect(direct != "abc-123" && UUID(uuidString: direct ?? "") != nil)

            // Through the whole server: the answer names the id its log lines carry.
            let forged = try await app.send(
                .GET, "/healthz", from: "203.0.113.9", headers: ["X-Request-Id": "abc\ninjected"])
            #expect(UUID(uuidString: forged.headers.first(name: .requestId) ?? "") != nil)
            let proxied = try await app.send(
                .GET, "/healthz", from: "10.0.0.2", headers: ["X-Request-Id": "nginx-4f2a"])
            #expect(proxied.headers[.requestId] == ["nginx-4f2a"])
            let plain = try await app.send(.GET, "/api/v1/organizer/events", from: "203.0.113.9")
            #expect(UUID(uuidString: plain.headers.first(name: .requestId) ?? "") != nil)
        }
    }

    @Test("the list's search answers a NUL byte or another control character with the list, never an error")
    func controlCharactersInSearch() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await admin.createKey(named: "CRM sync")
            for query in ["%00", "CRM%00", "%01%1F%7F", "%0D%0A", "sync%00%00"] {
                let response = try await admin.get("/admin/team/api-keys?q=\(query)&status=%00&sort=%00&page=%00")
                #expect(response.status == .ok, "\(query)")
            }
            try await admin.get("/admin/team/api-keys?q=CRM%00")
            #expect(admin.lastPage.contains(#"class="key-name">CRM sync</a>"#))
        }
    }

    @Test("the last User-Agent a key was used with is capped at 200 bytes, however it is made")
    func userAgentCap() async throws {
        try await withKagibag { app in
            let (_, key, _) = try await Browser.adminWithKey(app)
            let marks = "a" + String(repeating: "\u{0301}", count: 30_000)  // 60,001 bytes, one "character"
            var headers: HTTPHeaders = ["Authorization": "Bearer \(key)", "User-Agent": marks]
            headers.add(name: .accept, value: "application/json")
            #expect(
                try await app.testing().sendRequest(.GET, "/api/v1/organizer/events", headers: headers).status == .ok)
            let stored = try #require(try await APIKey.query(on: app.db).first()?.lastUsedUserAgent)
            #expect(stored.utf8.count <= 200 && stored.utf8.count >= 199 && stored.unicodeScalars.first == "a")
            #expect(UsageRecorder.prefix("😀😀", utf8Bytes: 5) == "😀")
        }
    }
}

private final class RequestIDBox: @unchecked Sendable {
    var value: String?
}

private struct Responder: AsyncResponder {
    let body: @Sendable (Request) async throws -> Response
    init(_ body: @escaping @Sendable (Request) async throws -> Response) { self.body = body }
    func respond(to request: Request) async throws -> Response { try await body(request) }
}

extension Collection where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
