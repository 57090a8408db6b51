import Foundation
import Leaf
import Testing
import VaporTesting

@testable import App

@Suite("The API reference page, /docs/api")
struct APIReferenceTests {
    /// Every operation of the shipped openapi.json, as `METHOD path`.
    static func documentedOperations(_ app: Application) throws -> [String] {
        let data = try #require(FileManager.default.contents(atPath: app.directory.resourcesDirectory + "openapi.json"))
        let paths = try #require(
            (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["paths"] as? [String: [String: Any]])
        return paths.flatMap { path, item in
            APIReference.methods.filter { item[$0] != nil }.map { "\($0.uppercased()) \(path)" }
        }
    }

    @Test("lists every operation of openapi.json, signed out, with the site's headers and no outside script")
    func everyOperation() async throws {
        try await withKagibag { app in
            let response = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": "kagibag.test"])
            #expect(response.status == .ok)
            let page = response.text
            let operations = try Self.documentedOperations(app)
            #expect(operations.count >= 16)
            for operation in operations {
                #expect(page.contains("data-operation=\"\(operation)\""), "\(operation) is not on the page")
            }
            #expect(page.components(separatedBy: "class=\"operation\"").count - 1 == operations.count)
            #expect(
                response.headers.first(name: "Content-Security-Policy")
                    == SecurityHeadersMiddleware.contentSecurityPolicy)
            // The only script is the site's own file, and nothing is loaded from elsewhere.
            #expect(page.components(separatedBy: "<script").count == 2)
            #expect(!page.contains("src=\"http") && !page.contains("href=\"http"))
        }
    }

    @Test("explains authentication with the Bearer header and a request to this server")
    func authentication() async throws {
        try await withKagibag { app in
            let page = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": "kagibag.test:8443"])
                .text
            #expect(page.contains("<h2 id=\"authentication\">Authentication</h2>"))
            #expect(page.contains("Authorization: Bearer YOUR_API_KEY"))
            #expect(page.contains("http://kagibag.test:8443/api/v1/organizer/events"))
        }
    }

    @Test("shows parameters, request and response examples, and the error body")
    func detailsOfOperations() async throws {
        try await withKagibag { app in
            let page = try await app.testing().sendRequest(.GET, "/docs/api").text
            // createEvent: its Idempotency-Key header, its request example and its 422.
            let create = try #require(
                page.components(separatedBy: "data-operation=\"POST /api/v1/organizer/events\"").dropFirst().first
            )
            .components(separatedBy: "</article>")[0]
            #expect(create.contains("<code>Idempotency-Key</code>"))
            #expect(
                create.contains("&quot;name&quot; : &quot;Swift meetup&quot;")
                    || create.contains("&quot;name&quot;: &quot;Swift meetup&quot;"))
            #expect(create.contains("<code>422</code>"))
            #expect(create.contains("needs <code>events:write</code>"))
            // Errors: the problem details fields and an example.
            #expect(page.contains("<h2 id=\"errors\">Errors</h2>"))
            #expect(page.contains("ends_at must be after starts_at."))
            #expect(page.contains("<code>detail</code>"))
            // Descriptions keep their code spans, everything else escaped.
            #expect(page.contains("<code>Authorization: Bearer KEY</code>"))
        }
    }

    @Test("the example request uses KAGIBAG_PUBLIC_URL, whatever Host the request names")
    func publicURLSetting() async throws {
        try await withKagibag({ $0.publicURL = "https://events.example.com/kagibag" }) { app in
            let page = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": "evil.example"]).text
            #expect(page.contains("https://events.example.com/kagibag/api/v1/organizer/events"))
            #expect(!page.contains("evil.example"))
        }
    }

    @Test(
        "openapi.json is the shipped document, as JSON, cacheable for five minutes, and a client that has it gets a 304"
    )
    func documentItself() async throws {
        try await withKagibag { app in
            let shipped = try #require(
                FileManager.default.contents(atPath: app.directory.resourcesDirectory + "openapi.json"))
            let response = try await app.testing().sendRequest(.GET, "/api/v1/openapi.json")
            #expect(response.status == .ok)
            #expect(Data(buffer: response.body) == shipped)
            #expect(response.headers.contentType == .json)
            #expect(response.headers.first(name: .cacheControl) == "public, max-age=300")
            let etag = try #require(response.headers.first(name: .eTag))
            let again = try await app.testing().sendRequest(
                .GET, "/api/v1/openapi.json", headers: ["If-None-Match": etag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
        }
    }

    @Test("with templates cached, each visitor still gets their own server address in the example")
    func cachedFragments() async throws {
        try await withKagibag { app in
            app.leaf.cache.isEnabled = true
            let first = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": "one.example"]).text
            let second = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": "two.example"]).text
            #expect(first.contains("http://one.example/api/v1/organizer/events"))
            #expect(second.contains("http://two.example/api/v1/organizer/events"))
            #expect(!second.contains("one.example"))
            #expect(second.replacingOccurrences(of: "two.example", with: "one.example") == first)
            #expect(second.contains("<h2 id=\"errors\">Errors</h2>"))
            // Every operation's request, not only the first, names the visitor's server.
            #expect(!second.contains(APIReference.baseSentinel))
            #expect(second.contains("curl -X PATCH &quot;http://two.example/api/v1/organizer/events/EVENT_ID&quot;"))
        }
    }

    @Test(
        "issue 28: every operation has a request to copy, writes a table of their body's fields, and the top a first call; nothing points to the repository"
    )
    func requestsToCopyAndFieldTables() async throws {
        try await withKagibag { app in
            let page = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": "kagibag.test"]).text
            let operations = try Self.documentedOperations(app)
            for operation in operations {
                let article = try #require(
                    page.components(separatedBy: "data-operation=\"\(operation)\"").dropFirst().first
                ).components(separatedBy: "</article>")[0]
                let method = String(operation.split(separator: " ")[0])
                #expect(article.contains("<pre class=\"example\" id=\""), "\(operation) has no request")
                #expect(article.contains("http://kagibag.test/api/v1/"), "\(operation) names another server")
                #expect(article.contains("data-copy=\""), "\(operation) has no Copy")
                if method != "GET" && method != "DELETE" { #expect(article.contains("-H &quot;Content-Type")) }
            }
            let create = try #require(
                page.components(separatedBy: "data-operation=\"POST /api/v1/organizer/events\"").dropFirst().first
            ).components(separatedBy: "</article>")[0]
            #expect(create.contains("Authorization: Bearer YOUR_API_KEY"))
            #expect(create.contains(#"<table class="stacking parameters body-fields">"#))
            for required in ["name", "starts_at", "ends_at", "timezone"] {
                #expect(
                    create.contains(
                        #"<td data-label="Field"><code>\#(required)</code></td><td data-label="Type">string"#),
                    "\(required)")
            }
            #expect(create.contains(#"<td data-label="Rules">1–200 characters once trimmed</td>"#))
            #expect(
                create.contains(
                    #"string: draft, published, cancelled</td><td data-label="Required">no</td><td data-label="Rules">null allowed"#
                ))
            #expect(page.contains(#"<h2 id="first-call">Your first call</h2>"#))
            #expect(page.contains("http://kagibag.test/api/v1/organizer/key</pre>"))
            #expect(!page.contains("docs/api.md") && !page.contains("Kagibag repository"))
        }
    }

    @Test(
        "a Host that is not a bare host name is not put into the example",
        arguments: [
            "evil.example/\"><script>alert(1)</script>", "user@evil.example", "evil.example:99999", "evil example", "",
        ]
    )
    func hostileHost(host: String) async throws {
        try await withKagibag { app in
            let response = try await app.testing().sendRequest(.GET, "/docs/api", headers: ["Host": host])
            #expect(response.status == .ok)
            #expect(response.text.contains(PublicURL.placeholder + "/api/v1/organizer/events"))
            #expect(!response.text.contains("<script>alert"))
        }
    }
}
