import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Bounds what unauthenticated uploads can hold: at most `perAddress` bodies being read at once
/// from one client address (an IPv6 client's /64), `total` from everyone, each read within
/// `timeout`. A client that opens hundreds of connections and trickles bytes would otherwise
/// pin a buffer per connection for as long as it likes.
final class UploadGate: Sendable {
    let perAddress: Int
    let total: Int
    let timeout: TimeAmount
    private let state = NIOLockedValueBox((total: 0, byAddress: [String: Int]()))

    init(perAddress: Int, total: Int, timeout: TimeAmount) {
        self.perAddress = perAddress
        self.total = total
        self.timeout = timeout
    }

    /// The body of `req` (at most `limit` bytes), read while holding one of the gate's places.
    func collect(_ req: Request, limit: Int) async throws -> ByteBuffer {
        let address = req.clientAddressLimitKey
        let refusal: APIError? = state.withLockedValue { state in
            if state.total >= total {
                return APIError(
                    status: .serviceUnavailable,
                    detail: "Too many reports are being received right now. Retry in a few seconds.",
                    headers: ["Retry-After": "5"])
            }
            if state.byAddress[address, default: 0] >= perAddress {
                return APIError(
                    status: .tooManyRequests,
                    detail: "Too many reports are being sent from this address at once. Retry in a few seconds.",
                    headers: ["Retry-After": "5"])
            }
            state.total += 1
            state.byAddress[address, default: 0] += 1
            return nil
        }
        if let refusal { throw refusal }
        defer {
            state.withLockedValue { state in
                state.total -= 1
                let left = state.byAddress[address, default: 1] - 1
                state.byAddress[address] = left > 0 ? left : nil
            }
        }
        return try await read(req, limit: limit)
    }

    /// The body, read as it arrives. Vapor reads the connection on only once the handler has
    /// taken the last piece, so a body refused here (too large, or not complete in time) stops
    /// being read at once: nothing more of it is buffered, and the connection, idle from then
    /// on, is closed by the server's idle timeout (`Settings.idleTimeoutSeconds`).
    private func read(_ req: Request, limit: Int) async throws -> ByteBuffer {
        let tooLarge = APIError(status: .payloadTooLarge, detail: "The request body must be at most \(limit) bytes.")
        if let length = req.headers.first(name: .contentLength).flatMap(Int.init), length > limit { throw tooLarge }
        let eventLoop = req.eventLoop
        let promise = eventLoop.makePromise(of: ByteBuffer.self)
        let state = NIOLockedValueBox((buffer: ByteBuffer(), settled: false))
        @Sendable func settle(_ result: Result<ByteBuffer, any Error>) {
            let first = state.withLockedValue { state in
                defer { state.settled = true }
                // A refused body's bytes go at once: the handler may live on until the connection closes.
                if case .failure = result { state.buffer = ByteBuffer() }
                return !state.settled
            }
            if first { promise.completeWith(result) }
        }
        let timer = eventLoop.scheduleTask(in: timeout) {
            settle(.failure(APIError(status: .requestTimeout, detail: "The request body did not arrive in time.")))
        }
        req.body.drain { part in
            switch part {
            case .buffer(var chunk):
                let fits = state.withLockedValue { state -> Bool? in
                    guard !state.settled else { return nil }
                    guard state.buffer.readableBytes + chunk.readableBytes <= limit else { return false }
                    state.buffer.writeBuffer(&chunk)
                    return true
                }
                switch fits {
                case true?: break
                case false?:
                    settle(.failure(tooLarge))
                    return eventLoop.makeFailedFuture(tooLarge)
                case nil:
                    // Refused already (timed out): stop reading this body.
                    return eventLoop.makeFailedFuture(tooLarge)
                }
            case .error:
                // The client went away mid-body (or sent a broken one): its mistake, not the
                // server's, and nobody is left to read the answer.
                settle(
                    .failure(APIError(status: .badRequest, detail: "The request body ended before it was complete.")))
            case .end:
                settle(.success(state.withLockedValue { $0.buffer }))
            }
            return eventLoop.makeSucceededVoidFuture()
        }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }
}
