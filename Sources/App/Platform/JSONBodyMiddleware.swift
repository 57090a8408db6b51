import Vapor

/// The API speaks JSON only: a request that carries a body must say `application/json`
/// (415 otherwise), and a POST or PATCH without a body is a 400 that says what is missing.
struct JSONBodyMiddleware: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let length = request.headers.first(name: .contentLength).flatMap(Int.init)
        let chunked = request.headers.contains(name: .transferEncoding)
        let hasBody = chunked || (length ?? 0) > 0
        if hasBody {
            guard let type = request.headers.contentType, type.type == "application",
                type.subType == "json" || type.subType.hasSuffix("+json")
            else {
                throw APIError(
                    status: .unsupportedMediaType,
                    detail: "Send the request body as JSON with 'Content-Type: application/json'.")
            }
        } else if [.POST, .PATCH, .PUT].contains(request.method) {
            throw APIError.badRequest("This request needs a JSON object as its body.")
        }
        return try await next.respond(to: request)
    }
}
