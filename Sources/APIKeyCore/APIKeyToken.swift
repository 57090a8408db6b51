import Crypto

/// A Kagibag API key: `kgb_` + 40 random base62 characters + a 6-character base62 CRC32 of
/// everything before it.
///
/// The fixed prefix lets secret scanners recognise a leaked key; the checksum lets the server
/// refuse a mistyped or made-up key without touching the database. Only `digest` is ever
/// stored; the plaintext lives in the one response that creates it.
public struct APIKeyToken: Sendable, Hashable {
    public static let prefix = "kgb_"
    public static let randomLength = 40
    public static let checksumLength = 6
    public static let length = 4 + randomLength + checksumLength  // 50

    /// The whole key as the user sees it. Never log or store this.
    public let plaintext: String

    /// Why a string is not a key. Both cases are answered alike (401) by the server; the
    /// distinction exists for metrics and tests.
    public enum ParseError: Error, Equatable, Sendable {
        case malformed
        case checksumMismatch
    }

    /// A new key from the system's cryptographic random source.
    public static func generate() -> APIKeyToken {
        var generator = SystemRandomNumberGenerator()
        return generate(using: &generator)
    }

    public static func generate<G: RandomNumberGenerator>(using generator: inout G) -> APIKeyToken {
        let body = prefix + Base62.random(count: randomLength, using: &generator)
        return APIKeyToken(uncheckedPlaintext: body + checksum(of: body))
    }

    /// Validates shape and checksum; pure, allocation-light, no I/O.
    public init(parsing candidate: some StringProtocol) throws(ParseError) {
        let bytes = Array(candidate.utf8)
        guard bytes.count == Self.length, bytes.starts(with: Self.prefix.utf8) else { throw .malformed }
        let checksumStart = Self.length - Self.checksumLength
        for byte in bytes[4...] where !Base62.isDigit(byte) { throw .malformed }
        let expected = Self.checksum(of: bytes[..<checksumStart])
        guard bytes[checksumStart...].elementsEqual(expected.utf8) else { throw .checksumMismatch }
        self.plaintext = String(decoding: bytes, as: UTF8.self)
    }

    private init(uncheckedPlaintext: String) {
        self.plaintext = uncheckedPlaintext
    }

    /// The 6-character base62 CRC32 of `body` (prefix and random part).
    public static func checksum<Bytes: Sequence>(of body: Bytes) -> String where Bytes.Element == UInt8 {
        Base62.encode(UInt64(CRC32.checksum(body)), width: checksumLength)
    }

    public static func checksum(of body: String) -> String {
        checksum(of: body.utf8)
    }

    /// Lower-case hex SHA-256 of the key: what the database stores and looks keys up by.
    /// A fast hash suffices because the key has 238 bits of entropy; nothing can be guessed.
    public var digest: String { Self.digest(of: plaintext) }

    public static func digest(of plaintext: String) -> String {
        let hash = SHA256.hash(data: Array(plaintext.utf8))
        var hex = ""
        hex.reserveCapacity(64)
        for byte in hash {
            hex.append(Self.hexDigits[Int(byte >> 4)])
            hex.append(Self.hexDigits[Int(byte & 0x0F)])
        }
        return hex
    }

    private static let hexDigits: [Character] = Array("0123456789abcdef")

    /// The last four characters, shown in lists so people can tell keys apart.
    public var lastFour: String { String(plaintext.suffix(4)) }
}

extension APIKeyToken: CustomStringConvertible, CustomDebugStringConvertible {
    /// Redacted so that string interpolation or a debugger never prints the secret.
    public var description: String { "kgb_…\(lastFour)" }
    public var debugDescription: String { description }
}
