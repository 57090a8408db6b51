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
        switch error {
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
        } else if error is DecodingError {
            detail = "The request could not be read: \(Self.describe(error as! DecodingError))"
        }
        let api = request.url.path.hasPrefix("/api/")
        if api {
            return ProblemDetails(title: status.reasonPhrase, status: Int(status.code), detail: detail).response(headers: headers)
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

    /// Names the offending field without echoing the input back.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "the field '\(parent.isEmpty ? key.stringValue : parent + "." + key.stringValue)' is required."
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "the field '\(path(context))' has the wrong type."
        case .dataCorrupted(let context):
            let field = path(context)
            return field.isEmpty ? "the body is not valid for its content type." : "the field '\(field)' is invalid."
        @unknown default:
            return "the body is invalid."
        }
    }
}
