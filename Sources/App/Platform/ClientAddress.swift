import Vapor

/// The address of the client behind a request.
///
/// `Forwarded` (RFC 7239) and `X-Forwarded-For` are believed only when the socket's peer is one
/// of `trustedProxies` (the load balancer); then the right-most address that is not itself a
/// trusted proxy is the client. Anyone else could write any address into those headers, which
/// is why Vapor's `peerAddress` (which always believes them) is not used.
enum ClientAddress {
    static func of(_ request: Request, trustedProxies: Set<String>) -> String {
        let peer = request.remoteAddress?.ipAddress ?? "unknown"
        guard trustedProxies.contains(peer) else { return peer }
        let forwarded = request.headers["Forwarded"]
            .flatMap { $0.split(separator: ",") }
            .compactMap { element in
                element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                    .first { $0.lowercased().hasPrefix("for=") }
                    .map { Self.strip(String($0.dropFirst(4))) }
            }
        let chain = forwarded.isEmpty
            ? request.headers[.xForwardedFor].flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
            : forwarded
        return chain.filter { !$0.isEmpty }.last { !trustedProxies.contains($0) } ?? peer
    }

    /// `"[2001:db8::1]:443"` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1`.
    private static func strip(_ value: String) -> String {
        var text = value.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        if text.hasPrefix("["), let end = text.firstIndex(of: "]") {
            text = String(text[text.index(after: text.startIndex)..<end])
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            text = String(text[..<colon])
        }
        return text
    }
}

extension Request {
    /// The client's address, believing forwarding headers only from trusted proxies.
    var clientAddress: String { ClientAddress.of(self, trustedProxies: application.limits.trustedProxies) }
}
