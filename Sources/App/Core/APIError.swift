import Vapor

/// A problem with one field of an API request (or a web form), in words fit to show.
struct FieldProblem: Codable, Equatable, Sendable {
    let field: String
    let message: String
}

/// API failures that are the client's to fix; mapped to problem details in `AppErrorMiddleware`.
struct APIError: AbortError {
    let status: HTTPResponseStatus
    let detail: String
    var problems: [FieldProblem] = []
    var headers: HTTPHeaders = [:]

    var reason: String { detail }

    /// Values that break the rules (422), naming every offending field.
    static func validation(_ problems: [FieldProblem]) -> APIError {
        APIError(status: .unprocessableEntity, detail: problems.map(\.message).joined(separator: " "), problems: problems)
    }

    /// A request the server cannot even interpret (400), such as an unknown field or a bad cursor.
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .badRequest, detail: message, problems: field.map { [FieldProblem(field: $0, message: message)] } ?? [])
    }

    static let notFound = APIError(status: .notFound, detail: "No such resource in this team.")

    static func conflict(_ message: String, field: String? = nil) -> APIError {
        APIError(status: .conflict, detail: message, problems: field.map { [FieldProblem(field: $0, message: message)] } ?? [])
    }
}
