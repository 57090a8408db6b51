import APIKeyCore
import Vapor

/// The address of the client behind a request.
///
/// Forwarding headers are believed only when the socket's peer is one of the trusted proxies
/// (`KAGIBAG_TRUSTED_PROXIES`), and only the one header they write
/// (`KAGIBAG_TRUSTED_PROXY_HEADER`); see `ClientAddressChain`. Anyone else could write any
/// address into those headers, which is why Vapor's `peerAddress` (which always believes them)
/// is not used.
enum ClientAddress {
    static func of(
        _ request: Request, trustedProxies: [AddressRange], header: ClientAddressChain.Header = .xForwardedFor
    ) -> String {
        let peer = request.remoteAddress?.ipAddress ?? "unknown"
        let name = header == .forwarded ? "Forwarded" : "X-Forwarded-For"
        return ClientAddressChain.client(
            peer: peer, headerValues: request.headers[name], header: header, trusted: trustedProxies)
    }
}

extension Request {
    /// The client's address, believing forwarding headers only from trusted proxies.
    var clientAddress: String {
        let limits = application.limits
        return ClientAddress.of(self, trustedProxies: limits.trustedProxies, header: limits.proxyHeader)
    }

    /// What per-address limits count under: the address, or an IPv6 client's /64.
    var clientAddressLimitKey: String { ClientAddressChain.limitKey(clientAddress) }

    /// Whether the socket's peer is a trusted proxy (whose `X-Forwarded-*` headers count).
    var isFromTrustedProxy: Bool {
        guard let peer = remoteAddress?.ipAddress else { return false }
        return application.limits.trustedProxies.contains { $0.contains(peer) }
    }
}
