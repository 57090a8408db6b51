/// Base62 with the alphabet `0-9A-Za-z`, the order GitHub's token checksums use.
public enum Base62 {
    public static let alphabet: [UInt8] = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    /// Whether `byte` is one of the 62 characters.
    @inlinable
    public static func isDigit(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    /// `value` written in base62, left-padded with `0` to exactly `width` characters.
    /// Values too large for `width` are a programming error.
    public static func encode(_ value: UInt64, width: Int) -> String {
        var digits = [UInt8](repeating: alphabet[0], count: width)
        var rest = value
        var index = width - 1
        while rest > 0 {
            precondition(index >= 0, "\(value) does not fit in \(width) base62 digits")
            digits[index] = alphabet[Int(rest % 62)]
            rest /= 62
            index -= 1
        }
        return String(decoding: digits, as: UTF8.self)
    }

    /// `count` characters drawn uniformly from the alphabet.
    ///
    /// `SystemRandomNumberGenerator` reads the operating system's cryptographic source
    /// (`getrandom(2)` on Linux), and `random(in:using:)` is unbiased, so every character
    /// carries log2(62) ≈ 5.95 bits of entropy.
    public static func random<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        for _ in 0..<count {
            bytes.append(alphabet[Int.random(in: 0..<62, using: &generator)])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
