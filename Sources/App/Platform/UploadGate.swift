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
                return APIError(status: .serviceUnavailable, detail: "Too many reports are being received right now. Retry in a few seconds.", headers: ["Retry-After": "5"])
            }
            if state.byAddress[address, default: 0] >= perAddress {
                return APIError(status: .tooManyRequests, detail: "Too many reports are being sent from this address at once. Retry in a few seconds.", headers: ["Retry-After": "5"])
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
        return try await withTimeout(req) { try await req.collectedBody(limit: limit) }
    }

    /// `body`'s result, or 408 (closing the connection, which ends the read and frees what it
    /// held) when it takes longer than the gate's timeout.
    private func withTimeout(_ req: Request, _ body: @escaping @Sendable () async throws -> ByteBuffer) async throws -> ByteBuffer {
        let promise = req.eventLoop.makePromise(of: ByteBuffer.self)
        let settled = NIOLockedValueBox(false)
        @Sendable func settle(_ result: Result<ByteBuffer, any Error>) {
            guard settled.withLockedValue({ done in defer { done = true }; return !done }) else { return }
            promise.completeWith(result)
        }
        let timer = req.eventLoop.scheduleTask(in: timeout) {
            settle(.failure(APIError(
                status: .requestTimeout, detail: "The request body did not arrive in time.", headers: ["Connection": "close"])))
        }
        Task {
            do { settle(.success(try await body())) } catch { settle(.failure(error)) }
        }
        defer { timer.cancel() }
        return try await promise.futureResult.get()
    }
}
