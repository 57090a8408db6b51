import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Vapor
import WebhookCore

/// One delivery: the lane's HTTP client (pinned to the address that was checked), the signed
/// POST, and what came of it in words an admin can read.
extension WebhookWorker {
    /// A connection pool for one lane: to the address just checked (and no other, whatever the
    /// name resolves to a moment later: DNS rebinding), TLS still verifying the certificate
    /// against the name; no redirect followed. Nil, and why, when the URL may not be used.
    func client(for endpoint: WebhookEndpoint, group: any EventLoopGroup) async -> Result<HTTPClient, Outcome> {
        let target: WebhookURL
        let address: String
        do {
            target = try WebhookURL.parse(endpoint.url, allowHTTP: settings.webhookAllowHTTP)
            address = try await target.resolve(allowPrivate: settings.webhookAllowPrivate)
        } catch let error as DomainError {
            return .failure(Outcome(status: nil, latencyMilliseconds: 0, error: error.message))
        } catch {
            return .failure(Outcome(status: nil, latencyMilliseconds: 0, error: "The URL could not be used."))
        }
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow, timeout: .init(connect: Self.timeout, read: Self.timeout))
        if target.host != address { configuration.dnsOverride = [target.host: address] }
        return .success(HTTPClient(eventLoopGroupProvider: .shared(group), configuration: configuration))
    }

    /// One attempt: signed, within the timeout (on a lane's `client`, its connection kept between
    /// the lane's messages).
    func send(_ message: Message, to endpoint: WebhookEndpoint, with client: HTTPClient) async -> Outcome {
        let started = ContinuousClock.now
        func elapsed() -> Double { (ContinuousClock.now - started).milliseconds }
        return await post(message, to: endpoint, with: client, elapsed: elapsed)
    }

    private func post(
        _ message: Message, to endpoint: WebhookEndpoint, with client: HTTPClient, elapsed: () -> Double
    ) async -> Outcome {
        let body = Array(message.payload.utf8)
        let timestamp = Int(Date().timeIntervalSince1970)
        let webhookID = Self.webhookID(message.id)
        var request = HTTPClientRequest(url: endpoint.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: Self.userAgent)
        request.headers.add(name: "webhook-id", value: webhookID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(
            name: "webhook-signature",
            value: WebhookSignature.header(
                id: webhookID, timestamp: timestamp, body: body, secrets: endpoint.signingSecrets()))
        request.body = .bytes(ByteBuffer(bytes: body))
        do {
            let response = try await client.execute(request, timeout: Self.timeout)
            var kept = ByteBuffer()
            for try await chunk in response.body {
                // The first 64 KB are kept; the rest is not read (the connection closes with it).
                let room = Self.keptResponse - kept.readableBytes
                kept.writeImmutableBuffer(
                    chunk.getSlice(at: chunk.readerIndex, length: min(chunk.readableBytes, room))!)
                if kept.readableBytes >= Self.keptResponse { break }
                // A body trickled slowly (each piece within the read timeout) ends here too: the
                // answer's status is what counts, and the lane must move on.
                if elapsed() > Double(Self.timeout.nanoseconds) / 1e6 { break }
            }
            return Outcome(
                status: Int(response.status.code), latencyMilliseconds: elapsed(),
                error: (200...299).contains(Int(response.status.code))
                    ? nil : Self.describe(status: response.status),
                response: String(decoding: kept.readableBytesView, as: UTF8.self))
        } catch {
            return Outcome(status: nil, latencyMilliseconds: elapsed(), error: Self.describe(error))
        }
    }

    /// Records a lane's attempts and what follows each, in one transaction: delivered, another
    /// try later, or failed for good (per message three statements, four per lane, were most of
    /// a delivery's cost and held SQLite's one write lock against the API's writes).
    /// The `webhook-id` of a message: the same for every attempt and every endpoint.
    static func webhookID(_ id: UUID) -> String {
        "msg_" + id.lowercasedString.replacingOccurrences(of: "-", with: "")
    }

    static func describe(status: HTTPResponseStatus) -> String {
        switch status.code {
        case 300...399: "The endpoint answered \(status.code) (a redirect, which is not followed)."
        default: "The endpoint answered \(status.code)."
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout:
            "No answer within \(timeout.nanoseconds / 1_000_000_000) seconds."
        case let error as HTTPClientError where error == .connectTimeout:
            "The connection was not accepted within \(timeout.nanoseconds / 1_000_000_000) seconds."
        case let error as HTTPClientError where error == .remoteConnectionClosed:
            "The endpoint closed the connection before answering."
        case is NIOConnectionError, is ChannelError:
            "The endpoint could not be reached (connection refused or reset)."
        default:
            "The delivery failed: \(String(describing: error).prefix(200))"
        }
    }
}
