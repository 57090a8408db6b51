import Vapor

extension Request {
    /// The whole body, however it arrives (in one piece or streamed in chunks), for routes
    /// registered with `body: .stream` that need the exact bytes (a signature over them) or a
    /// limit of their own. Larger than `limit` bytes: 413, before reading on when
    /// `Content-Length` already says so.
    func collectedBody(limit: Int) async throws -> ByteBuffer {
        let tooLarge = APIError(status: .payloadTooLarge, detail: "The request body must be at most \(limit) bytes.")
        if let length = headers.first(name: .contentLength).flatMap(Int.init), length > limit { throw tooLarge }
        // Vapor's limit is "at least max" when streamed; a body already collected has none.
        let buffer: ByteBuffer?
        do {
            buffer = try await body.collect(max: limit + 1).get()
        } catch let abort as Abort where abort.status == .payloadTooLarge {
            throw tooLarge
        }
        guard let buffer else { return ByteBuffer() }
        guard buffer.readableBytes <= limit else { throw tooLarge }
        return buffer
    }
}
