import APIKeyCore

/// Which addresses a webhook may be delivered to: none of the server's own network or of the
/// machines around it (SSRF). Checked when a URL is saved and again for the address each
/// delivery actually connects to, because a name can resolve elsewhere later.
public enum DestinationPolicy {
    /// Loopback, private, link-local (cloud metadata at 169.254.169.254 and fd00:ec2::254),
    /// carrier-grade NAT, multicast, documentation, benchmarking and reserved ranges; IPv4
    /// mapped into IPv6 is checked as the IPv4 address it is.
    public static let refusedRanges: [AddressRange] = [
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
        "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10",
        "fec0::/10", "ff00::/8",
    ].map { try! AddressRange(parsing: $0) }

    /// Whether `address` (a numeric IPv4 or IPv6 address) may receive deliveries. Something
    /// that is not an address is refused.
    public static func allows(_ address: String) -> Bool {
        guard (try? AddressRange(parsing: address)) != nil else { return false }
        return !refusedRanges.contains { $0.contains(address) }
    }
}
