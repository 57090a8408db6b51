import Vapor

/// Turns every error into a response for its audience: problem details under `/api`, an HTML
/// page everywhere else. Server errors are logged in full and shown to nobody.
struct AppErrorMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return await response(for: error, to: request)
        }
    }

    private func response(for error: any Error, to request: Request) async -> Response {
        let status: HTTPResponseStatus
        var detail: String
        var headers: HTTPHeaders = [:]
        var problems: [FieldProblem] = []
        switch error {
        case let apiError as APIError:
            status = apiError.status
            detail = apiError.detail
            headers = apiError.headers
            problems = apiError.problems
        case let decoding as DecodingError:
            status = .badRequest
            let described = Self.describe(decoding)
            detail = "The request could not be read: " + described.message
            if let field = described.field { problems = [FieldProblem(field: field, message: described.message)] }
        case let abort as any AbortError:
            status = abort.status
            detail = abort.reason
            headers = abort.headers
        default:
            status = .internalServerError
            detail = ""
        }
        if status.code >= 500 {
            request.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.url.path)"])
            detail = "Something went wrong on our side. It has been logged; please try again."
        }
        let api = request.url.path.hasPrefix("/api/")
        if api {
            for (name, value) in request.rateLimitHeaders ?? [:] where !headers.contains(name: name) { headers.add(name: name, value: value) }
            return ProblemDetails(
                title: status.reasonPhrase, status: Int(status.code), detail: detail,
                field: problems.first?.field, errors: problems.isEmpty ? nil : problems
            ).response(headers: headers)
        }
        return await htmlPage(status: status, message: detail, headers: headers, for: request)
    }

    private func htmlPage(status: HTTPResponseStatus, message: String, headers: HTTPHeaders, for request: Request) async -> Response {
        struct ErrorContext: Encodable {
            let page: PageContext
            let status: UInt
            let title: String
            let message: String
        }
        let message = message.isEmpty ? Self.defaultMessage(for: status) : message
        var response: Response
        do {
            let context = ErrorContext(page: PageContext(request, title: status.reasonPhrase), status: status.code, title: status.reasonPhrase, message: message)
            response = try await request.renderPage("error", context, status: status)
        } catch {
            response = Response(status: status, body: .init(string: "<!doctype html><title>\(status.code)</title><h1>\(status.code) \(status.reasonPhrase.htmlEscaped)</h1><p>\(message.htmlEscaped)</p>"))
            response.headers.contentType = .html
        }
        for (name, value) in headers where name.lowercased() != "content-type" { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    private static func defaultMessage(for status: HTTPResponseStatus) -> String {
        switch status {
        case .notFound: "There is nothing at this address."
        case .forbidden: "You are not allowed to do that."
        case .payloadTooLarge: "That request is too large."
        default: "The request could not be handled."
        }
    }

    /// Names the offending field (and, for broken JSON, the position) without echoing input back.
    static func describe(_ error: DecodingError) -> (message: String, field: String?) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            let field = parent.isEmpty ? key.stringValue : parent + "." + key.stringValue
            return ("the field '\(field)' is required.", field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context)
            return field.isEmpty ? ("the body must be a JSON object.", nil) : ("the field '\(field)' has the wrong type.", field)
        case .dataCorrupted(let context):
            let field = path(context)
            if field.isEmpty, context.debugDescription.contains("fit") {
                return ("a number does not fit its field (whole numbers only).", nil)
            }
            if field.isEmpty {
                let underlying = context.underlyingError.map { String(describing: $0) } ?? ""
                if let range = underlying.range(of: #"line \d+, column \d+"#, options: .regularExpression) {
                    return ("the body is not valid JSON (around \(underlying[range])).", nil)
                }
                return ("the body is not valid JSON.", nil)
            }
            if context.debugDescription.contains("does not fit") || context.debugDescription.contains("fit in") {
                return ("the field '\(field)' must be a whole number in range.", field)
            }
            if context.debugDescription.hasPrefix("RFC 3339") {
                return ("the field '\(field)' must be \(RFC3339.hint).", field)
            }
            return ("the field '\(field)' is invalid.", field)
        @unknown default:
            return ("the body is invalid.", nil)
        }
    }
}
