import Foundation
import Vapor

/// Serves the stylesheet and script shipped in `Public/`, and nothing else.
///
/// Vapor's `FileMiddleware` asks the file system (on its own thread pool) whether every request's
/// path is a file before the request may reach a route: two thread hand-offs per API call, a
/// third of a DB-free request's time at low load. The public files ship inside the module and
/// never change while the server runs, so they are listed once at start, and only requests for
/// one of them reach `FileMiddleware`.
struct PublicFilesMiddleware: AsyncMiddleware {
    private let files: FileMiddleware
    private let paths: Set<String>

    init(publicDirectory: String) {
        files = FileMiddleware(publicDirectory: publicDirectory)
        let root = URL(fileURLWithPath: publicDirectory)
        let found = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
            .map { "/" + $0.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count).drop { $0 == "/" } }
        paths = Set(found ?? [])
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard paths.contains(request.url.path) else { return try await next.respond(to: request) }
        return try await files.respond(to: request, chainingTo: next)
    }
}
