import Foundation
import Vapor

/// Serves the stylesheet and script shipped in `Public/`, and nothing else, from memory.
///
/// Vapor's `FileMiddleware` asks the file system (on its own thread pool) whether every request's
/// path is a file before the request may reach a route: two thread hand-offs per API call, a
/// third of a DB-free request's time at low load. The public files ship inside the module and
/// never change while the server runs, so they are read once at start (`StaticFile`); any
/// other path goes on to the routes without touching the disk.
struct PublicFilesMiddleware: AsyncMiddleware {
    let files: [String: StaticFile]

    init(publicDirectory: String) throws {
        let root = URL(fileURLWithPath: publicDirectory).standardizedFileURL
        let found =
            FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])?
            .compactMap { $0 as? URL }
            .filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true } ?? []
        var files: [String: StaticFile] = [:]
        for url in found {
            let path = "/" + url.standardizedFileURL.path.dropFirst(root.path.count).drop { $0 == "/" }
            files[path] = try StaticFile(path: url.path)
        }
        self.files = files
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        guard request.method == .GET || request.method == .HEAD, let file = files[request.url.path] else {
            return try await next.respond(to: request)
        }
        // Their URLs carry no version, so a browser may keep them for five minutes and then asks
        // again (a 304 if unchanged): a deploy's stylesheet reaches everyone within five minutes,
        // and a page view does not cost two revalidations. (Before, Vapor's Last-Modified let
        // browsers guess a freshness of a tenth of the file's age: days for an old file.)
        return file.response(for: request, cacheControl: "public, max-age=300")
    }
}
