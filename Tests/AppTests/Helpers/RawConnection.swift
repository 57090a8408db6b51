import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP connection to a live server, for what an HTTP client will not do: send headers
/// and then stall, trickle a body, or hold a connection open on purpose.
final class RawConnection: Sendable {
    private let channel: any Channel
    private let received: NIOLockedValueBox<String>
    private let closed: EventLoopFuture<Void>

    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<String>
        init(_ received: NIOLockedValueBox<String>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLockedValue { $0 += String(buffer: buffer) }
        }
    }

    static func open(port: Int, on group: any EventLoopGroup) async throws -> RawConnection {
        let received = NIOLockedValueBox("")
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(received))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawConnection(channel: channel, received: received)
    }

    private init(channel: any Channel, received: NIOLockedValueBox<String>) {
        self.channel = channel
        self.received = received
        self.closed = channel.closeFuture
    }

    func send(_ text: String) async throws {
        try await channel.writeAndFlush(ByteBuffer(string: text)).get()
    }

    /// What the server sent so far.
    var text: String { received.withLockedValue { $0 } }

    /// Waits up to `seconds` for a response head; returns its status code, or nil.
    func status(within seconds: Double) async throws -> Int? {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let text = self.text
            if text.hasPrefix("HTTP/1.1 "), text.contains("\r\n") { return Int(text.dropFirst(9).prefix(3)) }
            try await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    var isClosed: Bool { !channel.isActive }

    func close() async {
        try? await channel.close()
    }
}
