import Crypto
import Foundation

/// An endpoint's signing secret in the Standard Webhooks format: `whsec_` and the base64 of
/// the key's bytes (24 random bytes here, 192 bits), which receivers' libraries decode and use
/// as the HMAC key.
public struct WebhookSecret: Sendable, Equatable {
    public static let prefix = "whsec_"
    public static let byteCount = 24

    /// The key's bytes.
    public let key: [UInt8]

    /// As shown once to the admin and given to `standardwebhooks.Webhook(...)`.
    public var text: String { Self.prefix + Data(key).base64EncodedString() }

    public init(key: [UInt8]) { self.key = key }

    /// A fresh secret from the system's random source.
    public static func generate() -> WebhookSecret {
        var generator = SystemRandomNumberGenerator()
        return WebhookSecret(key: (0..<byteCount).map { _ in generator.next() })
    }

    /// Reads `whsec_…` (as stored); nil for anything else.
    public init?(text: String) {
        guard text.hasPrefix(Self.prefix), let data = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))),
            !data.isEmpty
        else { return nil }
        key = Array(data)
    }

    /// The last four characters, by which the pages tell secrets apart without showing them.
    public var lastFour: String { String(text.suffix(4)) }
}

/// What a delivery is signed with (the Standard Webhooks spec, v1): HMAC-SHA256 of
/// `id.timestamp.body` under each live secret, `v1,` and the base64 of it; several signatures
/// are separated by spaces (while a rolled secret's old one still signs).
public enum WebhookSignature {
    public static func sign(id: String, timestamp: Int, body: [UInt8], secret: WebhookSecret) -> String {
        var signed = Array("\(id).\(timestamp).".utf8)
        signed.append(contentsOf: body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: secret.key))
        return "v1," + Data(mac).base64EncodedString()
    }

    /// The `webhook-signature` header's value for `secrets` (newest first).
    public static func header(id: String, timestamp: Int, body: [UInt8], secrets: [WebhookSecret]) -> String {
        secrets.map { sign(id: id, timestamp: timestamp, body: body, secret: $0) }.joined(separator: " ")
    }
}
