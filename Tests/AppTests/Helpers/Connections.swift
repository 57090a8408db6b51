import NIOCore
import VaporTesting

@testable import App

extension Application {
    /// Sends a request as if it had come over a connection from `address`; in-process test
    /// requests otherwise have no address at all.
    func send(
        _ method: HTTPMethod, _ path: String, from address: String, headers: HTTPHeaders = [:], body: String? = nil
    ) async throws -> Response {
        let request = Request(
            application: self, method: method, url: URI(string: path), headers: headers,
            collectedBody: body.map { ByteBuffer(string: $0) },
            remoteAddress: try SocketAddress(ipAddress: address, port: 50_000), logger: logger,
            on: eventLoopGroup.next())
        return try await responder.respond(to: request).get()
    }
}
