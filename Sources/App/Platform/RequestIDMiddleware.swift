import Vapor

/// The request id in every log line of a request. Vapor takes a client's `X-Request-Id` as it
/// comes, so anyone could write newlines or another request's id into the server's log; here
/// it is believed only from a trusted proxy (which sets its own, as the shipped nginx does) and
/// only as 1 to 64 of `A–Z a–z 0–9 . _ -`. Otherwise the request gets an id of its own. Then
/// the request's first log line (method and path, as Vapor's `RouteLoggingMiddleware` wrote it),
/// the id in the answer's `Request-Id` (Stripe's and GitHub's name for it), and in every problem
/// body as `request_id` (through `current`, so that no code making a problem needs the request).
struct RequestIDMiddleware: AsyncMiddleware {
    /// The id of the request this task serves (nil outside a request).
    @TaskLocal static var current: String?

    var logLevel: Logger.Level = .info
    static let joinPrefix = "/join/"

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        var id = request.id
        if let presented = request.headers.first(name: .xRequestId) {
            id = request.isFromTrustedProxy && Self.isWellFormed(presented) ? presented : UUID().uuidString
            request.logger[metadataKey: "request-id"] = .string(id)
        }
        // The path as it came, still percent-encoded: decoded, `%0A` would start a forged log line.
        // An invitation link's token is left out: logs are read by more people than the team.
        let path = request.url.path
        request.logger.log(
            level: logLevel, "\(request.method) \(path.hasPrefix(Self.joinPrefix) ? Self.joinPrefix + "…" : path)")
        request.storage[Key.self] = id
        let response = try await Self.$current.withValue(id) { try await next.respond(to: request) }
        // The id the log lines carry, so that a client can quote it (a proxy that sets its own,
        // as the shipped nginx does, hides this one and answers with the same id).
        response.headers.replaceOrAdd(name: .requestId, value: id)
        // Every problem names it too, also one made where the task-local did not reach (inside a
        // database transaction's closure) or for another request (a stored answer): rewritten on
        // refusals only, and not when `ProblemDetails` wrote it with this id (most refusals, so
        // that they need no content-type parsing and no search of their body).
        if response.status.code >= 400, response.storage[ProblemDetails.NamedRequestID.self] != id,
            response.headers.contentType?.subType == "problem+json", let buffer = response.body.buffer
        {
            response.body = .init(string: ProblemDetails.naming(id, in: String(buffer: buffer)))
        }
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

extension RequestIDMiddleware {
    fileprivate struct Key: StorageKey { typealias Value = String }
}

extension Request {
    /// The id this request's answer names in `Request-Id` (not Vapor's `id`, which takes any
    /// client's `X-Request-Id` as it comes).
    var requestID: String? { storage[RequestIDMiddleware.Key.self] }
}

extension HTTPHeaders.Name {
    /// The request's id in every answer.
    static let requestId = HTTPHeaders.Name("Request-Id")
}
