import Crypto
import Foundation
import Vapor

/// A file shipped with the server, read once at start and answered from memory with an ETag of
/// its contents, so a client that has it gets a 304.
///
/// Vapor's file responses open, read and close the file on the thread pool for every request:
/// ~240 µs of CPU for the stylesheet or `openapi.json`, four times a refused key, for anyone
/// who asks; from memory ~37 µs (docs/performance.md).
struct StaticFile: Sendable {
    let body: ByteBuffer
    let type: HTTPMediaType
    let etag: String

    init(data: Data, type: HTTPMediaType) {
        body = ByteBuffer(data: data)
        self.type = type
        etag = "\"" + SHA256.hash(data: data).hex.prefix(24) + "\""
    }

    struct Unreadable: Error, CustomStringConvertible {
        let path: String
        var description: String { "cannot read \(path)" }
    }

    /// Reads the file now, so a missing one stops start-up instead of a request.
    init(path: String, type: HTTPMediaType? = nil) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw Unreadable(path: path) }
        let url = URL(fileURLWithPath: path)
        self.init(data: data, type: type ?? HTTPMediaType.fileExtension(url.pathExtension) ?? .binary)
    }

    /// 200 with the file, or 304 when the request's `If-None-Match` names it. A HEAD request gets
    /// the same headers; Vapor leaves the body out.
    func response(for request: Request, cacheControl: String? = nil) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = type
        headers.replaceOrAdd(name: .eTag, value: etag)
        if let cacheControl { headers.replaceOrAdd(name: .cacheControl, value: cacheControl) }
        if Self.matches(request.headers[.ifNoneMatch], etag) {
            // Like Vapor's file responses: the length the 200 would have had, no body.
            headers.replaceOrAdd(name: .contentLength, value: String(body.readableBytes))
            return Response(status: .notModified, version: .http1_1, headersNoUpdate: headers, body: .empty)
        }
        return Response(status: .ok, headers: headers, body: .init(buffer: body))
    }

    /// `If-None-Match` (RFC 9110 §13.1.2): a list of tags, compared weakly, or `*`.
    static func matches(_ values: [String], _ etag: String) -> Bool {
        values.lazy.flatMap { $0.split(separator: ",") }.contains { candidate in
            let tag = candidate.trimmingCharacters(in: .whitespaces)
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }
}
