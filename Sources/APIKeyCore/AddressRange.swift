/// An IPv4 or IPv6 address, or a CIDR range of them, as a key's address fence holds it.
///
/// Addresses are kept as 16 bytes; IPv4 is mapped into IPv6 (`::ffff:a.b.c.d`, RFC 4291
/// §2.5.5.2), so `10.0.0.0/8` also matches a client seen as `::ffff:10.1.2.3` on a dual-stack
/// socket. Pure parsing, no name resolution and no zone ids.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    public let bytes: [UInt8]
    /// Leading bits that must match, counted on the 128-bit form.
    public let prefixLength: Int
    private let isIPv4: Bool

    /// Why an entry is not an address or range, in words fit to show next to it.
    public struct ParseError: Error, Equatable, Sendable {
        public let message: String
    }

    /// `192.0.2.7`, `10.0.0.0/8`, `2001:db8::/32`, `::1`.
    public init(parsing text: some StringProtocol) throws(ParseError) {
        let entry = String(text)
        let parts = entry.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let (address, mapped) = Self.address(parts[0]) else {
            throw ParseError(message: "“\(entry.prefix(60))” is not an IPv4 or IPv6 address or CIDR range.")
        }
        // A dotted IPv4 entry counts its prefix in 32 bits; IPv6 text (mapped or not) in 128.
        let dotted = !parts[0].contains(":")
        let width = dotted ? 32 : 128
        var length = width
        if parts.count == 2 {
            guard let value = Int(parts[1]), (0...width).contains(value), parts[1].allSatisfy(\.isASCII) else {
                throw ParseError(
                    message: "“\(entry.prefix(60))” needs a prefix length from 0 to \(width) after the slash.")
            }
            length = value
        }
        let prefix = length + (dotted ? 96 : 0)
        let v4 = mapped && prefix >= 96
        let masked = Self.mask(address, prefix)
        guard masked == address else {
            let suggestion = AddressRange(bytes: masked, prefixLength: prefix, isIPv4: v4)
            throw ParseError(
                message: "“\(entry.prefix(60))” has bits set after its prefix; did you mean \(suggestion)?")
        }
        self.init(bytes: address, prefixLength: prefix, isIPv4: v4)
    }

    private init(bytes: [UInt8], prefixLength: Int, isIPv4: Bool) {
        self.bytes = bytes
        self.prefixLength = prefixLength
        self.isIPv4 = isIPv4
    }

    /// Whether the client address (as the server sees it) lies in this range; an address that
    /// cannot be read lies in none.
    public func contains(_ address: some StringProtocol) -> Bool {
        guard let (candidate, _) = Self.address(address) else { return false }
        return Self.mask(candidate, prefixLength) == bytes
    }

    /// The range of the first `length` bits (counted on the 128-bit form) of this one: the
    /// /64 around an IPv6 address, say. A longer length than this range's changes nothing.
    public func prefix(_ length: Int) -> AddressRange {
        let length = max(0, min(prefixLength, length))
        return AddressRange(bytes: Self.mask(bytes, length), prefixLength: length, isIPv4: isIPv4 && length >= 96)
    }

    /// The canonical text: `10.0.0.0/8`, `2001:db8::/32`, or a lone address without a length.
    public var description: String {
        let width = isIPv4 ? 32 : 128
        let length = isIPv4 ? prefixLength - 96 : prefixLength
        let text = isIPv4 ? bytes[12...].map(String.init).joined(separator: ".") : Self.ipv6Text(bytes)
        return length == width ? text : "\(text)/\(length)"
    }

    private static func mask(_ address: [UInt8], _ prefix: Int) -> [UInt8] {
        address.enumerated().map { index, byte in
            let bits = min(8, max(0, prefix - index * 8))
            return bits == 8 ? byte : byte & ~(UInt8(0xFF) >> bits)
        }
    }

    /// 16 bytes and whether the text was IPv4 (dotted or IPv4-mapped IPv6).
    private static func address(_ text: some StringProtocol) -> ([UInt8], Bool)? {
        let text = String(text)
        guard !text.isEmpty, text.count <= 45 else { return nil }
        if let v4 = ipv4(text) { return ([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + v4, true) }
        guard let v6 = ipv6(text) else { return nil }
        let mapped = v6[0..<10].allSatisfy { $0 == 0 } && v6[10] == 0xFF && v6[11] == 0xFF
        return (v6, mapped)
    }

    private static func ipv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var result: [UInt8] = []
        for part in parts {
            // Leading zeros are refused: some systems read them as octal.
            guard (1...3).contains(part.count), part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part == "0" || !part.hasPrefix("0"),
                let value = UInt8(part)
            else { return nil }
            result.append(value)
        }
        return result
    }

    private static func ipv6(_ text: String) -> [UInt8]? {
        var text = Substring(text)
        var tail: [UInt8] = []
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard let v4 = ipv4(String(text[text.index(after: lastColon)...])) else { return nil }
            tail = v4
            text = text[...lastColon]
            if text.hasSuffix(":") && !text.hasSuffix("::") { text = text.dropLast() }
        }
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ part: String) -> [UInt8]? {
            guard !part.isEmpty else { return [] }
            var bytes: [UInt8] = []
            for group in part.split(separator: ":", omittingEmptySubsequences: false) {
                guard (1...4).contains(group.count), let value = UInt16(group, radix: 16) else { return nil }
                bytes += [UInt8(value >> 8), UInt8(value & 0xFF)]
            }
            return bytes
        }
        guard let head = groups(halves[0]) else { return nil }
        let rest = halves.count == 2 ? groups(halves[1]) : []
        guard let rest else { return nil }
        let known = head.count + rest.count + tail.count
        if halves.count == 2 {
            guard known <= 14 else { return nil }
            return head + [UInt8](repeating: 0, count: 16 - known) + rest + tail
        }
        return known == 16 ? head + tail : nil
    }

    /// RFC 5952 text: lower case, the longest run of zero groups (two or more) as `::`.
    private static func ipv6Text(_ bytes: [UInt8]) -> String {
        let groups = stride(from: 0, to: 16, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }
        var best = (start: -1, length: 0), run = (start: -1, length: 0)
        for (index, group) in groups.enumerated() {
            if group == 0 {
                run = run.start < 0 ? (index, 1) : (run.start, run.length + 1)
                if run.length > best.length { best = run }
            } else {
                run = (-1, 0)
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        guard best.length >= 2 else { return hex.joined(separator: ":") }
        let head = hex[..<best.start].joined(separator: ":")
        let tail = hex[(best.start + best.length)...].joined(separator: ":")
        return head + "::" + tail
    }
}
