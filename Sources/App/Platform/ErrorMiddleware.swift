import Vapor

/// Turns every error into a response for the route group's audience: problem details for the
/// API (and for requests that matched no group), an HTML page for the web. Server errors are
/// logged in full and shown to nobody.
struct ErrorMiddleware: AsyncMiddleware {
    /// Renders the page for an error on a web route (the web layer's `ErrorPage`, given by `configure`).
    let webPage:
        @Sendable (_ status: HTTPResponseStatus, _ message: String, _ headers: HTTPHeaders, _ request: Request) async ->
            Response

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: request)
        } catch {
            return await response(for: error, to: request)
        }
    }

    private func response(for error: any Error, to request: Request) async -> Response {
        var (status, detail, headers, problems) = Self.describe(error)
        if error is ConnectionPoolTimeoutError {
            request.logger.warning(
                "refused: no database connection came free in time", metadata: ["path": "\(request.url.path)"])
        } else if Self.hidesDetail(of: error, status: status) {
            request.logger.error(
                "request failed", metadata: ["error": "\(String(reflecting: error))", "path": "\(request.url.path)"])
            detail = Self.serverErrorDetail
        }
        switch request.state.audience {
        case .web:
            return await webPage(status, detail, headers, request)
        case .api, nil:
            for (name, value) in request.state.responseHeaders ?? [:] where !headers.contains(name: name) {
                headers.add(name: name, value: value)
            }
            return ProblemDetails(
                type: (error as? any ProblemTyped)?.problemType?.uri, title: status.reasonPhrase,
                status: Int(status.code), detail: detail,
                field: problems.first?.field, errors: problems.isEmpty ? nil : problems,
                extensions: (error as? APIError)?.extensions ?? [:]
            ).response(headers: headers)
        }
    }

    /// The status the error will be answered with.
    static func status(of error: any Error) -> HTTPResponseStatus { describe(error).0 }

    /// The problem's title and detail as the client gets them (a crash's detail is not told).
    static func problem(of error: any Error) -> (title: String, detail: String) {
        let (status, detail, _, _) = describe(error)
        return (status.reasonPhrase, hidesDetail(of: error, status: status) ? serverErrorDetail : detail)
    }

    static let serverErrorDetail = "Something went wrong on our side. It has been logged; please try again."

    /// A server error's own message is logged, not shown. (An `APIError` is a refusal written on
    /// purpose, a 503 with Retry-After say: its message stands and it is no crash to log.)
    private static func hidesDetail(of error: any Error, status: HTTPResponseStatus) -> Bool {
        status.code >= 500 && !(error is APIError) && !(error is ConnectionPoolTimeoutError)
    }

    private static func describe(_ error: any Error) -> (HTTPResponseStatus, String, HTTPHeaders, [FieldProblem]) {
        switch error {
        case let domain as DomainError:
            return (domain.status, domain.message, [:], domain.problems)
        case let apiError as APIError:
            return (apiError.status, apiError.detail, apiError.headers, apiError.problems)
        case let decoding as DecodingError:
            let described = decoding.problem
            let problems = described.field.map { [FieldProblem(field: $0, message: described.message)] } ?? []
            return (.badRequest, "The request could not be read: " + described.message, [:], problems)
        case let abort as any AbortError:
            return (abort.status, abort.reason, abort.headers, [])
        case is ConnectionPoolTimeoutError:
            // Every database connection stayed busy for the pool's whole timeout: the request
            // was not handled, and may simply be sent again.
            return (.serviceUnavailable, APIError.busyMessage, ["Retry-After": "2"], [])
        default:
            return (.internalServerError, "", [:], [])
        }
    }
}
