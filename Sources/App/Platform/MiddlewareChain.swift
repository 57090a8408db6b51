import Vapor

/// Several async middlewares run as one. Vapor bridges each `AsyncMiddleware` on its own, with a
/// task, a promise and a future per middleware per request; a chain of them pays that once
/// (docs/performance.md). The order is the order given, outermost first.
struct MiddlewareChain: AsyncMiddleware {
    private let middlewares: [any AsyncMiddleware]

    init(_ middlewares: any AsyncMiddleware...) {
        self.middlewares = middlewares
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        try await Link(rest: middlewares[...], last: next).respond(to: request)
    }

    private struct Link: AsyncResponder {
        let rest: ArraySlice<any AsyncMiddleware>
        let last: any AsyncResponder

        func respond(to request: Request) async throws -> Response {
            guard let middleware = rest.first else { return try await last.respond(to: request) }
            return try await middleware.respond(to: request, chainingTo: Link(rest: rest.dropFirst(), last: last))
        }
    }
}
