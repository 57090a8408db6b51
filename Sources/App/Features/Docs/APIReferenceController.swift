import Vapor

/// `/docs/api`: the API reference, rendered on the server from `openapi.json` (no script, no
/// outside resource), for anyone, signed in or not, like the document itself.
struct APIReferenceController: RouteCollection {
    let reference: APIReference

    /// Reads the document now, so a broken one stops start-up instead of a page.
    init(openAPIPath: String) throws {
        guard let data = FileManager.default.contents(atPath: openAPIPath) else {
            throw APIReference.ReadError.unreadable("no file at \(openAPIPath)")
        }
        reference = try APIReference(data: data)
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiReference, use: show)
    }

    struct Context: Encodable {
        let page: PageContext
        let reference: APIReference
        /// The first request, with this server's address.
        let example: String
        let operationCount: Int
    }

    @Sendable func show(req: Request) async throws -> Response {
        let context = Context(
            page: PageContext(req, title: "API reference"), reference: reference, example: ExampleRequest.curl(req),
            operationCount: reference.operationKeys.count)
        return try await req.renderPage("api-reference", context)
    }
}
