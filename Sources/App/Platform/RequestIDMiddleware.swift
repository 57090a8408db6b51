import Vapor

/// The request id in every log line of a request. Vapor takes a client's `X-Request-Id` as it
/// comes, so anyone could write newlines or another request's id into the server's log; here
/// it is believed only from a trusted proxy (which sets its own, as the shipped nginx does) and
/// only as 1 to 64 of `A–Z a–z 0–9 . _ -`. Otherwise the request gets an id of its own. Then
/// the request's first log line (method and path, as Vapor's `RouteLoggingMiddleware` wrote it),
/// and the id in the answer's `X-Request-Id`.
struct RequestIDMiddleware: AsyncMiddleware {
    var logLevel: Logger.Level = .info

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        var id = request.id
        if let presented = request.headers.first(name: .xRequestId) {
            id = request.isFromTrustedProxy && Self.isWellFormed(presented) ? presented : UUID().uuidString
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        // The path as it came, still percent-encoded: decoded, `%0A` would start a forged log line.
        request.logger.log(level: logLevel, "\(request.method) \(request.url.path)")
        let response = try await next.respond(to: request)
        // The id the log lines carry, so that a client can quote it (a proxy that sets its own,
        // as the shipped nginx does, hides this one and answers with the same id).
        response.headers.replaceOrAdd(name: .xRequestId, value: id)
        return response
    }

    static func isWellFormed(_ id: String) -> Bool {
        (1...64).contains(id.utf8.count)
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default: false
                }
            }
    }
}
