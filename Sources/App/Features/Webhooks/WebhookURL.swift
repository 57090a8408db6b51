import Foundation
import NIOCore
import NIOPosix
import WebhookCore

/// Where a webhook may go: an absolute `https://` URL (`http://` too when the operator allows
/// it) whose host resolves only to public addresses (any address when the operator allows
/// private ones). Checked when an endpoint is saved, and again before each delivery, which then
/// connects to the address checked and no other.
struct WebhookURL: Sendable, Equatable {
    let url: URL
    let host: String
    let port: Int
    let isHTTPS: Bool

    static let maximumLength = 2_000

    /// Reads `text` as a webhook URL; a problem in words fit for the form otherwise.
    static func parse(_ text: String, allowHTTP: Bool) throws -> WebhookURL {
        func problem(_ message: String) -> DomainError { .invalid([FieldProblem(field: "url", message: message)]) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw problem("Enter the URL that should receive the webhooks.") }
        guard trimmed.utf8.count <= maximumLength else {
            throw problem("The URL must be at most \(maximumLength) characters.")
        }
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty, let url = components.url
        else { throw problem("Enter a full URL, such as https://example.com/webhooks/kagibag.") }
        guard scheme == "https" || (scheme == "http" && allowHTTP) else {
            throw problem(
                allowHTTP
                    ? "The URL must start with https:// or http://."
                    : "The URL must start with https:// (webhooks carry your team’s data; plain http is refused).")
        }
        guard components.user == nil, components.password == nil else {
            throw problem("Leave user names and passwords out of the URL; verify deliveries by their signature.")
        }
        guard components.fragment == nil else { throw problem("Leave the #fragment out of the URL.") }
        let bareHost = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return WebhookURL(
            url: url, host: bareHost.lowercased(), port: components.port ?? (scheme == "https" ? 443 : 80),
            isHTTPS: scheme == "https")
    }

    /// The host's addresses, every one checked: the first allowed one to connect to, or why not.
    func resolve(allowPrivate: Bool) async throws -> String {
        func problem(_ message: String) -> DomainError { .invalid([FieldProblem(field: "url", message: message)]) }
        let addresses: [String]
        if (try? SocketAddress(ipAddress: host, port: 0)) != nil {
            addresses = [host]
        } else {
            do {
                addresses = try await Self.lookUp(host, port: port)
            } catch {
                throw problem("The host “\(host)” could not be found.")
            }
        }
        guard let first = addresses.first else {
            throw problem("The host “\(host)” has no address.")
        }
        if !allowPrivate, let refused = addresses.first(where: { !DestinationPolicy.allows($0) }) {
            throw problem(
                "“\(host)” leads to \(refused), a private, loopback or link-local address; webhooks go only to public addresses."
            )
        }
        return first
    }

    /// The host's addresses through the system's resolver (on a thread of its own: it blocks).
    private static func lookUp(_ host: String, port: Int) async throws -> [String] {
        try await NIOThreadPool.singleton.runIfActive {
            var hints = addrinfo()
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var result: UnsafeMutablePointer<addrinfo>?
            guard getaddrinfo(host, String(port), &hints, &result) == 0, let result else {
                throw WebhookDeliveryError.resolution
            }
            defer { freeaddrinfo(result) }
            var addresses: [String] = []
            var next: UnsafeMutablePointer<addrinfo>? = result
            while let info = next {
                var socket: SocketAddress?
                if let address = info.pointee.ai_addr {
                    switch Int32(address.pointee.sa_family) {
                    case AF_INET:
                        socket = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                            SocketAddress($0.pointee)
                        }
                    case AF_INET6:
                        socket = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                            SocketAddress($0.pointee)
                        }
                    default: break
                    }
                }
                if let ip = socket?.ipAddress, !addresses.contains(ip) { addresses.append(ip) }
                next = info.pointee.ai_next
            }
            return addresses
        }
    }
}

enum WebhookDeliveryError: Error {
    case resolution
}
