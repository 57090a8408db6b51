import Leaf
import NIOConcurrencyHelpers
import NIOFoundationCompat
import Vapor

/// `/docs/api`: the API reference, rendered on the server from `openapi.json` (no script, no
/// outside resource), for anyone, signed in or not, like the document itself.
struct APIReferenceController: RouteCollection {
    let reference: APIReference
    /// Everything but the example request (which names this server) is the same for every
    /// visitor: rendered once where templates are cached (release builds). Rendered per request,
    /// the whole reference went through Leaf's encoder each time (~0.6–1 ms of CPU), and an
    /// anonymous burst on this page held every other request up for tens of milliseconds.
    private let rendered = NIOLockedValueBox<Fragments?>(nil)

    private struct Fragments {
        let contents: String
        /// The operations, cut where this server's address goes (`APIReference.baseSentinel`):
        /// joined with it per request, which costs a copy, not a search.
        let operations: [String]
    }

    /// Reads the document now (the one `/api/v1/openapi.json` serves), so a broken one stops
    /// start-up instead of a page.
    init(document: StaticFile) throws {
        reference = try APIReference(data: Data(buffer: document.body))
    }

    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiReference, use: show)
    }

    struct Context: Encodable {
        let page: PageContext
        let title, version: String
        let operationCount: Int
        /// `GET /api/v1/organizer/key` with this server's address: the box at the top.
        let firstCall: String
        /// The first request, with this server's address.
        let example: String
        let bearerDescription: String
        /// `api-reference-contents` and `api-reference-operations`, rendered.
        let contents: String
        let operations: String
        let problemTypes: [ProblemTypeView]
    }

    /// A problem type as the reference explains it (its anchor is the type's URI fragment).
    struct ProblemTypeView: Encodable {
        let slug, uri: String
        let status: Int
        /// HTML: the explanations use `code` spans.
        let meaning, action: String

        static let all = ProblemType.allCases.map {
            ProblemTypeView(
                slug: $0.rawValue, uri: $0.uri, status: $0.status, meaning: Markdown.inline($0.explanation.meaning),
                action: Markdown.inline($0.explanation.action))
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let fragments = try await fragments(req)
        let context = Context(
            page: PageContext(req, title: "API reference"), title: reference.title, version: reference.version,
            operationCount: reference.operationKeys.count,
            firstCall: ExampleRequest.curl(req, path: ExampleRequest.keyInfoPath), example: ExampleRequest.curl(req),
            bearerDescription: reference.bearerDescription, contents: fragments.contents,
            operations: fragments.operations.joined(separator: PublicURL.base(for: req)),
            problemTypes: ProblemTypeView.all)
        return try await req.renderPage("api-reference", context)
    }

    private func fragments(_ req: Request) async throws -> Fragments {
        if let fragments = rendered.withLockedValue({ $0 }) { return fragments }
        struct Fragment: Encodable {
            let reference: APIReference
            let operationCount: Int
            let paths = SitePaths.shared
        }
        let context = Fragment(reference: reference, operationCount: reference.operationKeys.count)
        let fragments = Fragments(
            contents: String(buffer: try await req.view.render("api-reference-contents", context).data),
            operations: String(buffer: try await req.view.render("api-reference-operations", context).data)
                .components(separatedBy: APIReference.baseSentinel))
        if req.application.leaf.cache.isEnabled { rendered.withLockedValue { $0 = fragments } }
        return fragments
    }
}
