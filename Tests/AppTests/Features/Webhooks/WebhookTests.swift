import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Testing
import Vapor
import VaporTesting
import WebhookCore

@testable import App

/// Issue 26: webhooks signed to the Standard Webhooks spec, queued with the change they tell
/// about, delivered (and retried) by the worker, only to public addresses.
@Suite("Webhooks")
struct WebhookTests {
    @Test("signatures are the Standard Webhooks spec's own example, and a rolled secret signs beside the new one")
    func signatures() throws {
        // The example of the spec's reference libraries (standard-webhooks, README and tests).
        let secret = try #require(WebhookSecret(text: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        let fresh = WebhookSecret.generate()
        #expect(fresh.text.hasPrefix("whsec_") && fresh.key.count == 24)
        #expect(WebhookSecret(text: fresh.text) == fresh)
        let both = WebhookSignature.header(id: "msg_1", timestamp: 1, body: [], secrets: [fresh, secret])
        #expect(both.split(separator: " ").count == 2 && both.split(separator: " ").allSatisfy { $0.hasPrefix("v1,") })
    }

    @Test("only public addresses receive deliveries: loopback, private, link-local, metadata and the like are refused")
    func destinations() {
        for refused in [
            "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1",
            "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "224.0.0.1", "not an address",
        ] {
            #expect(!DestinationPolicy.allows(refused), "\(refused)")
        }
        for allowed in ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"] {
            #expect(DestinationPolicy.allows(allowed), "\(allowed)")
        }
    }

    @Test("a webhook URL must be https (http only when allowed), absolute, without credentials or fragment")
    func urls() throws {
        func problem(_ text: String, allowHTTP: Bool = false) -> String? {
            do {
                _ = try WebhookURL.parse(text, allowHTTP: allowHTTP)
                return nil
            } catch let error as DomainError {
                return error.message
            } catch {
                return "\(error)"
            }
        }
        #expect(problem("https://example.com/hooks") == nil)
        #expect(problem("http://example.com/hooks")?.contains("https://") == true)
        #expect(problem("http://example.com/hooks", allowHTTP: true) == nil)
        #expect(problem("ftp://example.com") != nil)
        #expect(problem("example.com/hooks") != nil)
        #expect(problem("https://user:pass@example.com/") != nil)
        #expect(problem("https://example.com/#x") != nil)
        #expect(problem("") != nil)
        let ipv6 = try WebhookURL.parse("https://[2606:4700:4700::1111]:8443/x", allowHTTP: false)
        #expect(ipv6.host == "2606:4700:4700::1111" && ipv6.port == 8443)
    }

    @Test("retries follow the schedule, within a tenth either way, for about three days, then stop")
    func schedule() {
        #expect(RetrySchedule.wait(afterFailedAttempts: 1, random: 0) == 4.5)
        #expect(RetrySchedule.wait(afterFailedAttempts: 1, random: 0.999_999)! < 5.5)
        #expect(RetrySchedule.wait(afterFailedAttempts: 2, random: 0.5) == 300)
        #expect(RetrySchedule.wait(afterFailedAttempts: RetrySchedule.attempts, random: 0.5) == nil)
        #expect((2.5 * 86400...3.5 * 86400).contains(RetrySchedule.span))
    }

    /// A receiver on a free loopback port: answers each POST with the next of `statuses` (then 204).
    final class Receiver: Sendable {
        struct Delivery: Sendable {
            let headers: HTTPHeaders
            let body: String
        }

        let app: Application
        let url: String
        private let received = NIOLockedValueBox<[Delivery]>([])
        private let statuses: NIOLockedValueBox<[HTTPStatus]>

        var deliveries: [Delivery] { received.withLockedValue { $0 } }

        /// `body`: what each answer carries (the first answers' bodies may be large).
        init(statuses: [HTTPStatus] = [], body: @escaping @Sendable (Int) -> String = { _ in "" }) async throws {
            app = try await Application.make(.testing)
            self.statuses = NIOLockedValueBox(statuses)
            let received = self.received, queued = self.statuses
            app.post("hook") { req -> Response in
                let count = received.withLockedValue {
                    $0.append(Delivery(headers: req.headers, body: req.body.string ?? ""))
                    return $0.count
                }
                let status = queued.withLockedValue { $0.isEmpty ? HTTPStatus.noContent : $0.removeFirst() }
                var headers: HTTPHeaders = [:]
                if status == .found { headers.add(name: .location, value: "http://127.0.0.1:9/elsewhere") }
                return Response(status: status, headers: headers, body: .init(string: body(count)))
            }
            try await app.server.start(address: .hostname("127.0.0.1", port: 0))
            url = "http://127.0.0.1:\(app.http.server.shared.localAddress!.port!)/hook"
        }

        func stop() async throws {
            await app.server.shutdown()
            try await app.asyncShutdown()
        }
    }

    static func allowLocal(_ settings: inout Settings) {
        settings.webhookAllowHTTP = true
        settings.webhookAllowPrivate = true
    }

    /// Adds an endpoint through the form; returns its id and secret.
    static func addEndpoint(_ admin: Browser, url: String, types: [String] = []) async throws -> (UUID, WebhookSecret) {
        try await admin.get("/admin/team/webhooks/new")
        let fields = [("url", url)] + (types.isEmpty ? [("all_types", "on")] : types.map { ("types[]", $0) })
        let page = try await admin.post("/admin/team/webhooks", fields)
        #expect(page.status == .created)
        #expect(page.headers.first(name: .cacheControl) == "no-store")
        let secret = try #require(
            Browser.firstMatch(#"id="webhook-secret"[^>]*>(whsec_[^<]+)<"#, in: admin.lastPage).flatMap {
                WebhookSecret(text: $0)
            })
        let id = try #require(
            Browser.firstMatch(#"action="/admin/team/webhooks/([0-9a-f-]{36})/test""#, in: admin.lastPage).flatMap {
                UUID(uuidString: $0)
            })
        return (id, secret)
    }

    static func messages(_ app: Application) async throws -> [(type: String, state: String)] {
        try await app.db.sql.raw("SELECT type, state FROM webhook_messages ORDER BY id").all().map {
            (try $0.decode(column: "type", as: String.self), try $0.decode(column: "state", as: String.self))
        }
    }

    @Test("a change and its message commit together; a refused change queues nothing; unsubscribed endpoints get none")
    func outbox() async throws {
        try await withKagibag(Self.allowLocal) { app in
            let (admin, key, _) = try await Browser.adminWithKey(app)
            _ = try await Self.addEndpoint(admin, url: "http://127.0.0.1:9/all")
            _ = try await Self.addEndpoint(admin, url: "http://127.0.0.1:9/attendees", types: ["attendee.deleted"])
            let created = try await app.api(
                "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
            #expect(created.status == .created)
            var bad = EventsAPITests.eventBody
            bad["name"] = ""
            #expect(
                try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: bad).status
                    == .unprocessableEntity)
            let event = try #require(try created.json()["id"] as? String)
            let attendee = try await app.api(
                "/api/v1/organizer/events/\(event)/attendees", method: .POST, key: key,
                json: ["name": "Ada", "email": "ada@example.com"])
            let attendeeID = try #require(try attendee.json()["id"] as? String)
            #expect(
                try await app.api(
                    "/api/v1/organizer/events/\(event)/attendees/\(attendeeID)", method: .DELETE, key: key
                )
                .status == .noContent)
            let queued = try await Self.messages(app)
            // The first endpoint: three messages; the second only the deletion.
            #expect(
                queued.map(\.type).sorted() == [
                    "attendee.deleted", "attendee.deleted", "attendee.registered", "event.created",
                ])
            #expect(queued.allSatisfy { $0.state == "pending" })
            let payload = try #require(
                try await app.db.sql.raw("SELECT payload FROM webhook_messages WHERE type = 'attendee.registered'")
                    .first()?
                    .decode(column: "payload", as: String.self))
            #expect(payload.contains(#""email":"ada@example.com""#) && !payload.contains("ticket_code"))
            #expect(!payload.contains(key))
        }
    }

    @Test(
        "the worker delivers signed messages, retries a refusal on the schedule with the same id, in order per object")
    func delivery() async throws {
        let receiver = try await Receiver(statuses: [.serviceUnavailable])
        do {
            try await withKagibag(Self.allowLocal) { app in
                let (admin, key, _) = try await Browser.adminWithKey(app)
                let (endpoint, secret) = try await Self.addEndpoint(admin, url: receiver.url)
                let created = try await app.api(
                    "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody)
                let event = try #require(try created.json()["id"] as? String)
                #expect(
                    try await app.api(
                        "/api/v1/organizer/events/\(event)", method: .PATCH, key: key, json: ["name": "Renamed"]
                    )
                    .status == .ok)
                let worker = WebhookWorker(settings: app.services.settings, metrics: app.metrics)
                await worker.measureOutbox(on: app.db)
                var metrics = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
                #expect(metrics.contains("\nkagibag_webhook_outbox_pending 2"))
                // First round: the creation is refused (503); the change, about the same event,
                // is not sent before it.
                for (id, messages) in try await worker.claim(on: app.db) {
                    #expect(messages.map(\.type) == ["event.created", "event.updated"])
                    await worker.deliver(messages, to: id, on: app.db, group: app.eventLoopGroup, logger: app.logger)
                }
                #expect(try await Self.messages(app).map(\.state) == ["pending", "pending"])
                // Due, but behind the creation, which is not due again for about 5 seconds.
                #expect(try await worker.claim(on: app.db).isEmpty)
                // Five seconds later (±10 %): both, in order.
                let later = Date().addingTimeInterval(6)
                let lanes = try await worker.claim(on: app.db, now: later)
                #expect(
                    lanes.map(\.0) == [endpoint] && lanes.first?.1.map(\.type) == ["event.created", "event.updated"])
                for (id, messages) in lanes {
                    await worker.deliver(messages, to: id, on: app.db, group: app.eventLoopGroup, logger: app.logger)
                }
                #expect(try await Self.messages(app).map(\.state) == ["delivered", "delivered"])
                await worker.measureOutbox(on: app.db)
                metrics = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
                #expect(metrics.contains("\nkagibag_webhook_outbox_pending 0"))
                #expect(metrics.contains(#"kagibag_webhook_deliveries_total{outcome="delivered"} 2"#))
                #expect(metrics.contains(#"kagibag_webhook_deliveries_total{outcome="failed"} 1"#))
                let deliveries = receiver.deliveries
                #expect(deliveries.count == 3)
                #expect(
                    deliveries[0].headers.first(name: "webhook-id") == deliveries[1].headers.first(name: "webhook-id"))
                for delivery in deliveries {
                    let id = try #require(delivery.headers.first(name: "webhook-id"))
                    let timestamp = try #require(delivery.headers.first(name: "webhook-timestamp").flatMap { Int($0) })
                    let expected = WebhookSignature.sign(
                        id: id, timestamp: timestamp, body: Array(delivery.body.utf8), secret: secret)
                    #expect(delivery.headers.first(name: "webhook-signature") == expected)
                    #expect(delivery.headers.first(name: .userAgent)?.hasPrefix("Kagibag-Webhooks/") == true)
                }
                #expect(deliveries.map { $0.body.contains(#""type":"event.updated""#) } == [false, false, true])
                // The endpoint's page lists both; the message page shows its two attempts.
                try await admin.get("/admin/team/webhooks/\(endpoint.uuidString.lowercased())")
                #expect(admin.lastPage.components(separatedBy: #"data-state="delivered""#).count - 1 == 2)
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test("addresses are checked when saving: a private URL, http without the setting, a 21st endpoint are refused")
    func refusals() async throws {
        try await withKagibag { app in
            let (admin, _, _) = try await Browser.adminWithKey(app)
            try await admin.get("/admin/team/webhooks/new")
            for url in ["http://127.0.0.1:8080/hook", "https://169.254.169.254/latest/meta-data", "https://10.0.0.7/x"]
            {
                let page = try await admin.post("/admin/team/webhooks", [("url", url), ("all_types", "on")])
                #expect(page.status == .unprocessableEntity, "\(url)")
                #expect(admin.lastPage.contains("error-summary"))
            }
            #expect(try await WebhookEndpoint.query(on: app.db).count() == 0)
        }
        try await withKagibag(Self.allowLocal) { app in
            let (admin, _, _) = try await Browser.adminWithKey(app)
            for index in 0..<WebhookStore.maximumEndpoints {
                _ = try await Self.addEndpoint(admin, url: "http://127.0.0.1:9/\(index)")
            }
            try await admin.get("/admin/team/webhooks/new")
            #expect(admin.lastPage.contains(#"id="webhook-limit""#))
            let page = try await admin.post(
                "/admin/team/webhooks", [("url", "http://127.0.0.1:9/x"), ("all_types", "on")])
            #expect(page.status == .conflict)
            #expect(try await WebhookEndpoint.query(on: app.db).count() == WebhookStore.maximumEndpoints)
        }
    }

    @Test("members see endpoints but change nothing; another team's endpoint answers like a missing one")
    func membersAndOtherTeams() async throws {
        try await withKagibag(Self.allowLocal) { app in
            let (owner, member, account) = try await Browser.twoSignedUp(app)
            try await member.joinTeam(of: owner, email: account.email, role: "member")
            let (endpoint, _) = try await Self.addEndpoint(owner, url: "http://127.0.0.1:9/hook")
            let path = "/admin/team/webhooks/\(endpoint.uuidString.lowercased())"
            try await member.get("/admin/team/webhooks")
            #expect(member.lastPage.contains("127.0.0.1:9/hook") && !member.lastPage.contains(#"id="add-webhook""#))
            try await member.get(path)
            #expect(!member.lastPage.contains("roll-webhook-secret") && !member.lastPage.contains("whsec_"))
            #expect(try await member.post(path + "/pause").status == .forbidden)
            #expect(try await member.post(path + "/roll-secret").status == .forbidden)
            #expect(try await WebhookEndpoint.query(on: app.db).first()?.pausedAt == nil)
            let stranger = Browser(app)
            try await stranger.signUp(Browser.newAccount())
            let missing = try await stranger.get("/admin/team/webhooks/\(UUID().uuidString.lowercased())")
            #expect(try await stranger.get(path).status == missing.status)
            #expect(missing.status == .notFound)
        }
    }

    @Test(
        "a test message, a message sent again and a replay are in Activity with who sent them; a member can send none")
    func sendingAgainIsInActivity() async throws {
        try await withKagibag(Self.allowLocal) { app in
            let (owner, member, account) = try await Browser.twoSignedUp(app)
            try await member.joinTeam(of: owner, email: account.email, role: "member")
            let (endpoint, _) = try await Self.addEndpoint(owner, url: "http://127.0.0.1:9/hook")
            let path = "/admin/team/webhooks/\(endpoint.uuidString.lowercased())"
            try await owner.get(path)
            #expect(try await owner.post(path + "/test").status == .seeOther)
            let message = try #require(
                try await app.db.sql.raw("SELECT id FROM webhook_messages").first()?.decode(
                    column: "id", as: UUID.self))
            let messagePath = path + "/messages/\(message.uuidString.lowercased())"
            try await owner.get(messagePath)
            #expect(try await owner.post(messagePath + "/resend").status == .seeOther)
            try await owner.get(path)
            // A replay leaves test messages out: nothing to send again, and nothing in Activity.
            #expect(try await owner.post(path + "/replay", [("hours", "24")]).status == .seeOther)
            try await member.get(path)
            let team = try #require(try await WebhookEndpoint.find(endpoint, on: app.db)).teamID
            try await WebhookOutbox.record(.eventCreated, team: team, object: UUID(), data: "{}", on: app.db)
            #expect(try await owner.post(path + "/replay", [("hours", "1")]).status == .seeOther)
            #expect(try await member.post(path + "/test").status == .forbidden)
            #expect(try await member.post(messagePath + "/resend").status == .forbidden)
            #expect(try await member.post(path + "/replay", [("hours", "24")]).status == .forbidden)
            try await owner.get("/admin/team/activity")
            #expect(owner.lastPage.contains("sent a test message to webhook endpoint http://127.0.0.1:9/hook"))
            #expect(owner.lastPage.contains("sent the webhook.test message msg_"))
            #expect(!owner.lastPage.contains("of the last 24 hours again"))
            #expect(owner.lastPage.contains("sent 1 message of the last hour again to webhook endpoint"))
            let actions = try await AuditEvent.query(on: app.db).all().map(\.action)
            #expect(actions.filter { $0 == AuditEvent.Action.webhookTested.rawValue }.count == 1)
            #expect(actions.filter { $0 == AuditEvent.Action.webhookResent.rawValue }.count == 2)
        }
    }

    @Test("an endpoint failing for 3 days is paused, with a notice on every Admin page until an admin resumes it")
    func pausedWhenFailing() async throws {
        let receiver = try await Receiver(statuses: [.internalServerError, .internalServerError])
        do {
            try await withKagibag(Self.allowLocal) { app in
                let (admin, key, _) = try await Browser.adminWithKey(app)
                let (endpoint, _) = try await Self.addEndpoint(admin, url: receiver.url)
                #expect(
                    try await app.api(
                        "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody
                    )
                    .status == .created)
                let worker = WebhookWorker(settings: app.services.settings, metrics: nil)
                func round(at now: Date) async throws {
                    for (id, messages) in try await worker.claim(on: app.db, now: now) {
                        await worker.deliver(
                            messages, to: id, on: app.db, group: app.eventLoopGroup, logger: app.logger)
                    }
                }
                try await round(at: Date())
                let stored = try #require(try await WebhookEndpoint.find(endpoint, on: app.db))
                #expect(stored.failingSince != nil && stored.pausedAt == nil)
                // Three days of failures later, the next failure pauses it.
                stored.failingSince = Date().addingTimeInterval(-3 * 86400 - 60)
                try await stored.update(on: app.db)
                try await round(at: Date().addingTimeInterval(10))
                let paused = try #require(try await WebhookEndpoint.find(endpoint, on: app.db))
                #expect(paused.pausedAt != nil && paused.pausedReason == "failing")
                try await admin.get("/admin/team/api-keys")
                #expect(admin.lastPage.contains("are paused: every delivery failed for 3 days"))
                try await admin.get("/admin/team/activity")
                #expect(admin.lastPage.contains("every delivery failed for 3 days"))
                let path = "/admin/team/webhooks/\(endpoint.uuidString.lowercased())"
                try await admin.get(path)
                #expect(try await admin.post(path + "/resume").status == .seeOther)
                try await admin.get("/admin/team/api-keys")
                #expect(!admin.lastPage.contains("are paused: every delivery failed"))
                // Resumed, the waiting message goes out.
                try await round(at: Date().addingTimeInterval(400))
                #expect(try await Self.messages(app).map(\.state) == ["delivered"])
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test("a key's creation, pause and deletion are messages naming it and its last four, never its secret")
    func keyLifecycle() async throws {
        try await withKagibag(Self.allowLocal) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await Self.addEndpoint(
                admin, url: "http://127.0.0.1:9/keys", types: ["api_key.created", "api_key.paused", "api_key.deleted"])
            let plaintext = try await admin.createKey(named: "Door app")
            let key = try #require(try await APIKey.query(on: app.db).first())
            let path = "/admin/team/api-keys/\(key.id!.uuidString.lowercased())"
            try await admin.get(path)
            #expect(try await admin.post(path + "/pause").status == .seeOther)
            try await admin.get(path + "/delete")
            #expect(try await admin.post(path + "/delete").status == .seeOther)
            let rows = try await app.db.sql.raw("SELECT type, payload FROM webhook_messages ORDER BY id").all()
            let types = try rows.map { try $0.decode(column: "type", as: String.self) }
            #expect(types == ["api_key.created", "api_key.paused", "api_key.deleted"])
            for row in rows {
                let payload = try row.decode(column: "payload", as: String.self)
                #expect(payload.contains(#""name":"Door app""#) && payload.contains(#""last_four":"\#(key.lastFour)""#))
                #expect(!payload.contains(plaintext) && !payload.contains("digest"))
            }
        }
    }

    @Test("a key's coming expiry is announced once, its expiry once; a roll with a new expiry announces that one")
    func keyExpiry() async throws {
        try await withKagibag(Self.allowLocal) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await Self.addEndpoint(
                admin, url: "http://127.0.0.1:9/keys", types: ["api_key.expiring", "api_key.expired"])
            _ = try await admin.createKey(named: "Nightly")
            let key = try #require(try await APIKey.query(on: app.db).first())
            let now = Date()
            try await app.db.sql.raw(
                "UPDATE api_keys SET expires_at = \(bind: now.addingTimeInterval(3 * 86400)) WHERE id = \(bind: key.id!)"
            ).run()
            try await APIKeySecrets.recordExpiries(now: now, on: app.db)
            try await APIKeySecrets.recordExpiries(now: now.addingTimeInterval(60), on: app.db)
            #expect(try await Self.messages(app).map(\.type) == ["api_key.expiring"])
            try await APIKeySecrets.recordExpiries(now: now.addingTimeInterval(4 * 86400), on: app.db)
            try await APIKeySecrets.recordExpiries(now: now.addingTimeInterval(5 * 86400), on: app.db)
            #expect(try await Self.messages(app).map(\.type) == ["api_key.expiring", "api_key.expired"])
            let payload = try #require(
                try await app.db.sql.raw("SELECT payload FROM webhook_messages WHERE type = 'api_key.expiring'")
                    .first()?
                    .decode(column: "payload", as: String.self))
            #expect(payload.contains(#""expires_at":"#) && payload.contains(#""by":"Kagibag""#))
        }
    }

    @Test("the form offers every type a webhook can be sent for, and no other")
    func formOffersEveryType() async throws {
        let offered = WebhookEventType.subscribable.flatMap(\.types)
        #expect(Set(offered) == Set(WebhookEventType.allCases).subtracting([.test]))
        #expect(offered.count == Set(offered).count)
    }

    @Test("a redirect is a failure (never followed) retried later; a 10 MB answer is delivered, 64 KB of it kept")
    func hostileAnswers() async throws {
        let receiver = try await Receiver(statuses: [.found, .ok]) { count in
            count == 2 ? String(repeating: "x", count: 10_000_000) : ""
        }
        do {
            try await withKagibag(Self.allowLocal) { app in
                let (admin, key, _) = try await Browser.adminWithKey(app)
                _ = try await Self.addEndpoint(admin, url: receiver.url)
                #expect(
                    try await app.api(
                        "/api/v1/organizer/events", method: .POST, key: key, json: EventsAPITests.eventBody
                    )
                    .status == .created)
                let worker = WebhookWorker(settings: app.services.settings, metrics: nil)
                for now in [Date(), Date().addingTimeInterval(10)] {
                    for (id, messages) in try await worker.claim(on: app.db, now: now) {
                        await worker.deliver(
                            messages, to: id, on: app.db, group: app.eventLoopGroup, logger: app.logger)
                    }
                }
                #expect(receiver.deliveries.count == 2)
                #expect(try await Self.messages(app).map(\.state) == ["delivered"])
                let attempts = try await app.db.sql.raw(
                    "SELECT status, error, response FROM webhook_attempts ORDER BY id"
                ).all()
                #expect(try attempts.map { try $0.decode(column: "status", as: Int?.self) } == [302, 200])
                #expect(try attempts[0].decode(column: "error", as: String?.self)?.contains("not followed") == true)
                let kept = try attempts[1].decode(column: "response", as: String?.self)
                #expect(kept?.utf8.count == WebhookWorker.keptResponse)
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }

    @Test(
        "a lane that keeps up goes on past its first batch: 40 messages in one claim's lane, in order, even while the instance is saturated (a batch a second)"
    )
    func laneContinues() async throws {
        let receiver = try await Receiver()
        do {
            try await withKagibag(Self.allowLocal) { app in
                let (admin, key, _) = try await Browser.adminWithKey(app)
                _ = try await Self.addEndpoint(admin, url: receiver.url)
                for index in 0..<40 {
                    var body = EventsAPITests.eventBody
                    body["name"] = "Event \(index)"
                    #expect(
                        try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: body).status
                            == .created)
                }
                // The instance is saturated throughout: the lane gives way to requests before each
                // batch, but only for a second after its previous one, and still delivers them all.
                let load = Load(saturation: 1)
                load.begin()
                defer { load.end() }
                let worker = WebhookWorker(settings: app.services.settings, metrics: nil, load: load)
                let lanes = try await worker.claim(on: app.db)
                #expect(lanes.count == 1 && lanes.first?.1.count == WebhookWorker.batch)
                let started = ContinuousClock.now
                for (id, messages) in lanes {
                    await worker.deliver(messages, to: id, on: app.db, group: app.eventLoopGroup, logger: app.logger)
                }
                #expect(ContinuousClock.now - started >= .milliseconds(900))
                let names = receiver.deliveries.compactMap {
                    Browser.firstMatch(#""name":"(Event [0-9]+)""#, in: $0.body)
                }
                #expect(names == (0..<40).map { "Event \($0)" })
                #expect(try await Self.messages(app).allSatisfy { $0.state == "delivered" })
            }
        } catch {
            try await receiver.stop()
            throw error
        }
        try await receiver.stop()
    }
}
