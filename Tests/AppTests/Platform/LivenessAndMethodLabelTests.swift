import APIKeyCore
import Fluent
import SQLKit
import Testing
import VaporTesting

@testable import App

@Suite("Liveness, and methods nobody serves in the metrics")
struct LivenessAndMethodLabelTests {
    @Test("/livez answers 200 without asking the database; /healthz is the readiness check")
    func livez() async throws {
        try await withKagibag { app in
            let alive = try await app.testing().sendRequest(.GET, "/livez")
            #expect(alive.status == .ok)
            #expect(alive.body.string == #"{"status":"ok"}"#)
            #expect(alive.headers.first(name: .cacheControl) == "no-store")
            #expect(try await app.testing().sendRequest(.GET, "/healthz").status == .ok)
        }
    }

    @Test("an invented HTTP method is counted as other, so clients cannot grow the label set")
    func inventedMethods() async throws {
        try await withKagibag { app in
            for method in ["PROPFIND", "BREW", "X-ANYTHING"] {
                _ = try await app.testing().sendRequest(HTTPMethod(rawValue: method), "/livez")
            }
            let text = String(buffer: try await app.testing().sendRequest(.GET, "/metrics").body)
            #expect(!text.contains("PROPFIND") && !text.contains("BREW") && !text.contains("X-ANYTHING"))
            #expect(text.contains(#"method="other""#))
            #expect(MetricsMiddleware.label(.GET) == "GET")
        }
    }
}
