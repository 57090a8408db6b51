import Vapor

/// Entity tags and the conditional requests that use them (RFC 9110 §8.8.3, §13): `ETag` on an
/// event's or attendee's answers, `If-None-Match` on GET (304 when the client's copy is
/// current), `If-Match` on PATCH and DELETE (412 when it is not, and nothing changes). A
/// request without them works as before: no precondition is required.
enum EntityTag {
    /// `"v3"`: a strong tag from the row's version.
    static func version(_ version: Int, variant: String? = nil) -> String {
        "\"v\(version)\(variant.map { "-" + $0 } ?? "")\""
    }

    /// Whether `If-Match` lets a change of the resource whose tag is `current` through: no header,
    /// `*`, or a listed strong tag equal to it (weak tags never match, §13.1.1).
    static func ifMatchAllows(_ headers: HTTPHeaders, current: String) -> Bool {
        let values = headers[.ifMatch]
        guard !values.isEmpty else { return true }
        let tags = values.flatMap(Self.list)
        return tags.contains("*") || tags.contains(current)
    }

    /// A store's precondition for a change of a resource tagged by `tag`: 412 unless `If-Match`
    /// (read from `headers` now) names its current tag.
    static func precondition<Row>(
        _ headers: HTTPHeaders, _ what: String, tag: @escaping @Sendable (Row) -> String
    ) -> @Sendable (Row) throws -> Void {
        let values = HTTPHeaders(headers[.ifMatch].map { ("If-Match", $0) })
        return { current in
            guard ifMatchAllows(values, current: tag(current)) else {
                throw preconditionFailed(what, current: tag(current))
            }
        }
    }

    /// Whether `If-None-Match` names `current` (or `*`), by weak comparison (§13.1.2): a GET
    /// then answers 304.
    static func ifNoneMatchHolds(_ request: Request, current: String) -> Bool {
        let tags = request.headers[.ifNoneMatch].flatMap(Self.list)
        return tags.contains("*") || tags.map(Self.opaque).contains(Self.opaque(current))
    }

    /// The 412 for a change made from a stale copy; it names the current tag.
    static func preconditionFailed(_ what: String, current: String) -> APIError {
        APIError(
            status: .preconditionFailed,
            detail:
                "The \(what) changed since your copy (If-Match does not name its current ETag, \(current)); nothing was changed. Read it again and reapply your change.",
            headers: ["ETag": current])
    }

    /// `response` with `tag`, or the 304 that replaces it when the client's copy is current.
    static func answer(_ response: Response, tag: String, to request: Request) -> Response {
        if request.method == .GET, ifNoneMatchHolds(request, current: tag) {
            let notModified = Response(status: .notModified)
            notModified.headers.replaceOrAdd(name: .eTag, value: tag)
            for name in [HTTPHeaders.Name.cacheControl] {
                if let value = response.headers.first(name: name) {
                    notModified.headers.replaceOrAdd(name: name, value: value)
                }
            }
            return notModified
        }
        response.headers.replaceOrAdd(name: .eTag, value: tag)
        return response
    }

    /// The tags of one header value: `"a", W/"b"` → `"a"`, `W/"b"`; `*` alone.
    private static func list(_ value: String) -> [String] {
        value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    private static func opaque(_ tag: String) -> String {
        tag.hasPrefix("W/") ? String(tag.dropFirst(2)) : tag
    }
}
