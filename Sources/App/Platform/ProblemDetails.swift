import Vapor

/// An RFC 9457 problem details body (`application/problem+json`).
struct ProblemDetails: Content {
    var type: String = "about:blank"
    var title: String
    var status: Int
    var detail: String?
    /// For validation problems: the first field that was wrong, and every problem found.
    var field: String?
    var errors: [FieldProblem]?

    static let contentType = HTTPMediaType(type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])

    func response(headers: HTTPHeaders = [:]) -> Response {
        let response = Response(status: HTTPResponseStatus(statusCode: status), headers: headers)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        response.body = .init(data: (try? encoder.encode(self)) ?? Data())
        response.headers.contentType = Self.contentType
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }
}
