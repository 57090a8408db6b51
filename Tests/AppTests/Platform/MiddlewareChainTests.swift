import Testing
import VaporTesting

@testable import App

@Suite("Middleware chains")
struct MiddlewareChainTests {
    /// Notes its name in a header on the way in and on the way out; answers by itself when asked to.
    struct Mark: AsyncMiddleware {
        let name: String
        var answers = false

        func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
            request.headers.add(name: "X-Path", value: "\(name)>")
            if answers { return Response(status: .accepted, body: .init(string: request.headers["X-Path"].joined())) }
            let response = try await next.respond(to: request)
            response.headers.add(name: "X-Out", value: name)
            return response
        }
    }

    @Test("a chain runs its middlewares in the order given, and one that answers stops the rest")
    func orderAndShortCircuit() async throws {
        try await withApp { app in
            app.grouped(MiddlewareChain(Mark(name: "a"), Mark(name: "b"), Mark(name: "c"))).get("all") { req in
                req.headers["X-Path"].joined()
            }
            app.grouped(MiddlewareChain(Mark(name: "a"), Mark(name: "b", answers: true), Mark(name: "c"))).get("stop") {
                _ in
                "never"
            }
            app.grouped(MiddlewareChain(Mark(name: "a"), Mark(name: "b"))).get("fails") { _ -> String in
                throw Abort(.conflict)
            }
            try await app.testing().test(.GET, "all") { response async in
                #expect(response.body.string == "a>b>c>")
                #expect(response.headers["X-Out"] == ["c", "b", "a"])
            }
            try await app.testing().test(.GET, "stop") { response async in
                #expect(response.status == .accepted)
                #expect(response.body.string == "a>b>")
                #expect(response.headers["X-Out"] == ["a"])
            }
            try await app.testing().test(.GET, "fails") { response async in
                #expect(response.status == .conflict)
            }
        }
    }
}
