import Vapor

/// Counts and times every request, and keeps `load`'s count of those in flight. It runs outside
/// `ErrorMiddleware` (only the route log is further out), so it sees the final status of error
/// responses too.
struct MetricsMiddleware: AsyncMiddleware {
    let metrics: Metrics
    let load: Load

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        load.begin()
        defer { load.end() }
        let response = try await next.respond(to: request)
        let route = request.route
        metrics.request(
            .init(
                route: route.map(ObjectIdentifier.init), method: Self.label(request.method),
                status: response.status.code),
            route: { route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched" },
            duration: ContinuousClock.now - start)
        return response
    }

    /// The methods Kagibag serves by name; any other a client invents (PROPFIND, BREW, …) is
    /// "other", so a client cannot grow the label set without bound.
    static func label(_ method: HTTPMethod) -> String {
        switch method {
        case .GET, .HEAD, .POST, .PATCH, .PUT, .DELETE, .OPTIONS: method.rawValue
        default: "other"
        }
    }
}
