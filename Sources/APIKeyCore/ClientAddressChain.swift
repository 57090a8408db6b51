/// Who the client is, from the socket's peer and the forwarding headers of trusted proxies.
///
/// Forwarding headers are believed only when the peer is a trusted proxy, and then only the
/// header that proxy writes: a proxy that appends to `X-Forwarded-For` passes a client's own
/// `Forwarded` through untouched (AWS ALB, HAProxy), so reading `Forwarded` there would let the
/// client pick its address. The chain is walked from the right, skipping trusted hops; the first
/// address that is not a trusted proxy is the client. Pure: no I/O, no framework.
public enum ClientAddressChain {
    /// The header the trusted proxies write.
    public enum Header: String, Sendable, CaseIterable {
        case xForwardedFor = "x-forwarded-for"
        case forwarded
    }

    /// The client's address in canonical form (IPv4-mapped IPv6 as plain IPv4); the peer as
    /// given when it is not an address at all (a Unix socket).
    public static func client(
        peer: String, headerValues: [String], header: Header, trusted: [AddressRange]
    ) -> String {
        let peerAddress = canonical(peer) ?? peer
        guard !trusted.isEmpty, isTrusted(peerAddress, trusted) else { return peerAddress }
        let entries = headerValues.flatMap { header == .forwarded ? forwardedFor($0) : xForwardedFor($0) }
        var nearest = peerAddress
        for entry in entries.reversed() {
            // Something a trusted hop wrote but that is no address ("unknown", an obfuscated
            // id, garbage a client put further left): nothing beyond it can be believed.
            guard let address = canonical(entry) else { return nearest }
            guard isTrusted(address, trusted) else { return address }
            nearest = address
        }
        return nearest
    }

    /// `192.0.2.1`, `192.0.2.1:80`, `2001:db8::1`, `[2001:db8::1]:443`, `::ffff:192.0.2.1` →
    /// the address in canonical text; anything else nil.
    public static func canonical(_ text: some StringProtocol) -> String? {
        var value = Substring(text)
        while let first = value.first, first == " " || first == "\t" { value.removeFirst() }
        while let last = value.last, last == " " || last == "\t" { value.removeLast() }
        guard !value.isEmpty, value.utf8.count <= 64 else { return nil }
        if value.hasPrefix("[") {
            guard let end = value.firstIndex(of: "]") else { return nil }
            let rest = value[value.index(after: end)...]
            guard rest.isEmpty || isPort(rest) else { return nil }
            value = value[value.index(after: value.startIndex)..<end]
            guard value.contains(":") else { return nil }
        } else if let colon = value.firstIndex(of: ":"), value.lastIndex(of: ":") == colon {
            // One colon: IPv4 with a port (IPv6 has at least two).
            guard isPort(value[colon...]) else { return nil }
            value = value[..<colon]
            guard !value.contains(":") else { return nil }
        }
        guard !value.contains("/"), let range = try? AddressRange(parsing: value) else { return nil }
        return range.description
    }

    /// The key a per-address limit counts under: an IPv4 address itself, an IPv6 address's /64
    /// (the smallest block a provider gives one subscriber, so one client cannot walk through
    /// 2^64 addresses of its own), anything else as given.
    public static func limitKey(_ address: String) -> String {
        guard address.contains(":"), let range = try? AddressRange(parsing: address) else { return address }
        return range.prefix(64).description
    }

    private static func isTrusted(_ address: String, _ trusted: [AddressRange]) -> Bool {
        trusted.contains { $0.contains(address) }
    }

    private static func isPort(_ text: Substring) -> Bool {
        guard text.first == ":" else { return false }
        let digits = text.dropFirst()
        return (1...5).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
            && Int(digits).map { $0 <= 65535 } == true
    }

    /// The entries of one `X-Forwarded-For` value, left to right.
    static func xForwardedFor(_ value: String) -> [Substring] {
        value.split(separator: ",", omittingEmptySubsequences: false)
    }

    /// The `for=` of each element of one `Forwarded` value (RFC 7239), left to right; an
    /// element without one counts as an unknown hop.
    static func forwardedFor(_ value: String) -> [Substring] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { element in
            for pair in element.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " || $0 == "\t" }
                guard trimmed.count > 4, trimmed.prefix(4).lowercased() == "for=" else { continue }
                var token = trimmed.dropFirst(4)
                while let last = token.last, last == " " || last == "\t" { token.removeLast() }
                if token.count >= 2, token.first == "\"", token.last == "\"" { token = token.dropFirst().dropLast() }
                return token
            }
            return "unknown"
        }
    }
}
