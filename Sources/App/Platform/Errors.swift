import Vapor

/// A problem with one field of a request or a form, in words fit to show.
///
/// `message` names fields as the API does ("ends_at must be after starts_at."); a web form shows
/// `formMessage`, in the words of its labels ("End must be after start."), when the rule gives
/// one. Only `field` and `message` are part of the API's problem details.
struct FieldProblem: Codable, Equatable, Sendable {
    let field: String
    let message: String
    var formMessage: String? = nil

    init(field: String, message: String, formMessage: String? = nil) {
        self.field = field
        self.message = message
        self.formMessage = formMessage
    }

    /// What a form shows next to the field.
    var forForm: String { formMessage ?? message }

    enum CodingKeys: String, CodingKey { case field, message }
}

/// A failure the user can fix, raised by the feature stores and rules. Stores know nothing of
/// HTTP: `ErrorMiddleware` gives each case its status and renders it for the route group
/// (problem details for the API, a page for the web); web controllers that re-show a form
/// catch it first.
enum DomainError: Error, Equatable {
    /// Values that break the rules (422), naming every offending field.
    case invalid([FieldProblem])
    /// Nothing of that kind in this team (404); another team's id answers the same way.
    case notFound(String)
    /// The request clashes with the current state (409).
    case conflict(String, field: String? = nil)

    var status: HTTPResponseStatus {
        switch self {
        case .invalid: .unprocessableEntity
        case .notFound: .notFound
        case .conflict: .conflict
        }
    }

    var message: String {
        switch self {
        case .invalid(let problems): problems.map(\.message).joined(separator: " ")
        case .notFound(let message), .conflict(let message, _): message
        }
    }

    var problems: [FieldProblem] {
        switch self {
        case .invalid(let problems): problems
        case .notFound: []
        case .conflict(let message, let field): field.map { [FieldProblem(field: $0, message: message)] } ?? []
        }
    }
}

/// An HTTP-level refusal of an API request (a body that cannot be read, an unknown field, a bad
/// cursor, a rate limit): rendered as problem details by `ErrorMiddleware`.
struct APIError: AbortError, ProblemTyped {
    let status: HTTPResponseStatus
    let detail: String
    var problems: [FieldProblem] = []
    var headers: HTTPHeaders = [:]
    /// More precise than the status's (`ProblemType.of(status:)`), when given.
    var problemType: ProblemType? = nil
    /// Members of the problem beyond the standard ones (a 429's `budget`).
    var extensions: [String: String] = [:]

    var reason: String { detail }

    /// What a request hears when the server sheds load (503, pages and API alike).
    static let busyMessage = "Kagibag is busy right now. Try again in a moment."

    /// A request the server cannot even interpret (400), such as an unknown field or a bad cursor.
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(
            status: .badRequest, detail: message,
            problems: field.map { [FieldProblem(field: $0, message: message)] } ?? [])
    }
}
