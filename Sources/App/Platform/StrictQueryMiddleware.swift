import Foundation
import Vapor

/// Refuses query parameters an API operation does not take (`GET /events?staus=published` used
/// to list every event, the typo ignored), with a 400 naming the parameter. What each operation
/// takes is read from the shipped `openapi.json` once at start, so the contract and the server
/// cannot disagree about it.
struct StrictQueryMiddleware: AsyncMiddleware {
    /// "GET /api/v1/organizer/events/*" → the query parameters it takes.
    let accepted: [String: Set<String>]

    init(openAPIDocument data: Data) throws {
        guard let document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        else { throw Abort(.internalServerError, reason: "openapi.json has no paths") }
        let shared = (document["components"] as? [String: Any])?["parameters"] as? [String: [String: Any]] ?? [:]
        func resolve(_ parameter: Any) -> [String: Any]? {
            guard let parameter = parameter as? [String: Any] else { return nil }
            guard let reference = parameter["$ref"] as? String else { return parameter }
            return shared[String(reference.split(separator: "/").last ?? "")]
        }
        var accepted: [String: Set<String>] = [:]
        for (path, operations) in paths {
            let common = (operations["parameters"] as? [Any]) ?? []
            for (method, operation) in operations where method != "parameters" {
                let own = ((operation as? [String: Any])?["parameters"] as? [Any]) ?? []
                let names = (common + own).compactMap(resolve).filter { $0["in"] as? String == "query" }
                    .compactMap { $0["name"] as? String }
                accepted[Self.key(method: method.uppercased(), path: path)] = Set(names)
            }
        }
        self.accepted = accepted
    }

    /// `{event_id}` and `:event` both become `*`.
    static func key(method: String, path: String) -> String {
        let segments = path.split(separator: "/").map { $0.hasPrefix("{") || $0.hasPrefix(":") ? "*" : String($0) }
        return method + " /" + segments.joined(separator: "/")
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let query = request.url.query, !query.isEmpty, let route = request.route {
            let template = "/" + route.path.map(\.description).joined(separator: "/")
            let method = request.method == .HEAD ? "GET" : request.method.rawValue
            if let names = accepted[Self.key(method: method, path: template)] {
                for pair in query.split(separator: "&") where !pair.isEmpty {
                    let raw = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)[0]
                    let name =
                        String(raw).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(raw)
                    guard names.contains(name) else {
                        let takes = names.isEmpty ? "no query parameters" : names.sorted().joined(separator: ", ")
                        throw APIError.badRequest(
                            "Unknown query parameter “\(name.prefix(40))”. This operation takes \(takes).",
                            field: String(name.prefix(40)))
                    }
                }
            }
        }
        return try await next.respond(to: request)
    }
}
