import Vapor

/// `GET /metrics` in Prometheus' text format, at exactly that path: the router also matches
/// `/metrics/` and `//metrics/`, which a proxy's `location = /metrics` would let through.
/// (Vapor collapses leading slashes before routing, so `//metrics` arrives as `/metrics`.)
///
/// With an operator token set, only for `Authorization: Bearer <token>` (compared in constant
/// time). Without one, only for a connection from this machine (loopback) that did not come
/// through a proxy (no forwarding header; nginx always adds one): anyone else gets 404, as if
/// there were nothing here. See "Metrics" in docs/deploy.md.
struct MetricsEndpoint: Sendable {
    let token: String?

    @Sendable func handle(req: Request) async throws -> Response {
        guard req.url.path == "/metrics" else { throw Abort(.notFound) }
        if token == nil, !Self.isLocalAndDirect(req) { throw Abort(.notFound) }
        if let token {
            let presented = req.headers.bearerAuthorization?.token ?? ""
            guard presented.utf8.secureCompare(to: token.utf8) else {
                let response = ProblemDetails(
                    title: "Unauthorized", status: 401, detail: "Metrics need the operator's token."
                ).response()
                response.headers.replaceOrAdd(name: .wwwAuthenticate, value: #"Bearer realm="kagibag-metrics""#)
                return response
            }
        }
        req.application.metrics.process.update()
        let response = Response(status: .ok, body: .init(string: req.application.metrics.registry.emitToString()))
        response.headers.replaceOrAdd(name: .contentType, value: "text/plain; version=0.0.4; charset=utf-8")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    /// Loopback, and no proxy in between. A request built in-process (tests) has no address.
    static func isLocalAndDirect(_ req: Request) -> Bool {
        let forwarded = ["Forwarded", "X-Forwarded-For", "X-Real-IP"].contains { req.headers.contains(name: $0) }
        guard !forwarded else { return false }
        guard let address = req.remoteAddress else { return true }
        guard let ip = address.ipAddress else { return false }
        return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
    }
}
