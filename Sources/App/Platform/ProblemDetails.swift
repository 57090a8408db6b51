import Vapor

/// An RFC 9457 problem details body (`application/problem+json`).
struct ProblemDetails: Content {
    /// A `ProblemType`'s URI (nil: the type of `status`, `ProblemType.of(status:)`).
    var type: String? = nil
    var title: String
    var status: Int
    var detail: String?
    /// For validation problems: the first field that was wrong, and every problem found.
    var field: String?
    var errors: [FieldProblem]?
    /// Members of this problem type beyond RFC 9457's (`checked_in_at`), as strings.
    var extensions: [String: String] = [:]
    /// The request's id, as in its `Request-Id` header, for a client to quote.
    var requestID: String? = RequestIDMiddleware.current

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, field, errors
        case requestID = "request_id"
    }

    /// `type` as sent: the given one, else the type of `status`.
    var resolvedType: String { type ?? ProblemType.of(status: status)?.uri ?? "about:blank" }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(resolvedType, forKey: .type)
        try container.encode(title, forKey: .title)
        try container.encode(status, forKey: .status)
        try container.encodeIfPresent(detail, forKey: .detail)
        try container.encodeIfPresent(field, forKey: .field)
        try container.encodeIfPresent(errors, forKey: .errors)
        try container.encodeIfPresent(requestID, forKey: .requestID)
    }

    static let contentType = HTTPMediaType(
        type: "application", subType: "problem+json", parameters: ["charset": "utf-8"])

    /// `body` (a problem) naming `id` as its request: its `request_id` replaced, or added when it
    /// has none (a problem made where the request's task-local did not reach, such as inside a
    /// database transaction's closure, or one stored for an idempotent replay).
    static func naming(_ id: String, in body: String) -> String {
        let member = "\"request_id\":\"\(id)\""
        if body.contains("\"request_id\":") { return body.replacing(/"request_id":"[^"]*"/, with: member) }
        guard body.hasPrefix("{") else { return body }
        return "{" + member + (body == "{}" ? "" : ",") + body.dropFirst()
    }

    /// The title and detail of a problem answered as a response (a replayed one, say), for the
    /// key's recent requests; nil when the body is no problem.
    static func titleAndDetail(in response: Response) -> (title: String, detail: String)? {
        guard response.headers.contentType?.subType == "problem+json", let buffer = response.body.buffer,
            let object = try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any],
            let title = object["title"] as? String
        else { return nil }
        return (title, object["detail"] as? String ?? "")
    }

    func response(headers: HTTPHeaders = [:]) -> Response {
        let response = Response(status: HTTPResponseStatus(statusCode: status), headers: headers)
        response.body = .init(buffer: ByteBuffer(bytes: json().bytes))
        response.headers.contentType = Self.contentType
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        // Which request id the body names, so that `RequestIDMiddleware` need not parse the
        // content type and search the body of every refusal to find out.
        response.storage[NamedRequestID.self] = requestID
        return response
    }

    struct NamedRequestID: StorageKey { typealias Value = String }

    /// The members in sorted order, absent when nil (what `JSONEncoder` with `.sortedKeys` wrote
    /// before): written by hand because every refused API request answers with one, and the
    /// encoder was most of a DB-free 401's own work.
    func json() -> JSONWriter {
        var json = JSONWriter(capacity: 256)
        json.raw("{")
        for (name, value) in extensions.sorted(by: { $0.key < $1.key }) {
            json.string(name)
            json.raw(":")
            json.string(value)
            json.raw(",")
        }
        if let detail {
            json.key("detail", first: true)
            json.string(detail)
            json.raw(",")
        }
        if let errors {
            json.raw("\"errors\":[")
            for (index, problem) in errors.enumerated() {
                if index > 0 { json.raw(",") }
                json.raw("{")
                json.key("field", first: true); json.string(problem.field)
                json.key("message"); json.string(problem.message)
                json.raw("}")
            }
            json.raw("],")
        }
        if let field {
            json.key("field", first: true)
            json.string(field)
            json.raw(",")
        }
        if let requestID {
            json.key("request_id", first: true)
            json.string(requestID)
            json.raw(",")
        }
        json.key("status", first: true); json.int(status)
        json.key("title"); json.string(title)
        json.key("type"); json.string(resolvedType)
        json.raw("}")
        return json
    }
}
