import Vapor

/// `GET /metrics` in Prometheus' text format; with an operator token set, only for
/// `Authorization: Bearer <token>` (compared in constant time).
struct MetricsEndpoint: Sendable {
    let token: String?

    @Sendable func handle(req: Request) async throws -> Response {
        if let token {
            let presented = req.headers.bearerAuthorization?.token ?? ""
            guard presented.utf8.secureCompare(to: token.utf8) else {
                let response = ProblemDetails(title: "Unauthorized", status: 401, detail: "Metrics need the operator's token.").response()
                response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="kagibag-metrics""#)
                return response
            }
        }
        let response = Response(status: .ok, body: .init(string: req.application.metrics.registry.emitToString()))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}

/// API responses are per-key and often secret-adjacent: no cache may keep them.
struct NoStoreMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let response = try await next.respond(to: request)
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
