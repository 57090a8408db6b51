import Vapor

extension Content {
    /// A JSON response with the given status (and a Location for 201).
    func response(_ status: HTTPStatus, location: String? = nil, for req: Request) async throws -> Response {
        let response = try await encodeResponse(status: status, for: req)
        if let location { response.headers.replaceOrAdd(name: .location, value: location) }
        return response
    }
}
