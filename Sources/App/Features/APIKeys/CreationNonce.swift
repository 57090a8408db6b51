import Vapor

/// One-time tokens on the creation form, so that re-posting it (a reload of the page that
/// showed the key) does not create a second key. The last few used ones live in the session.
enum CreationNonce {
    private static let key = "key-nonces"

    static func issue() -> String { Data([UInt8].random(count: 16)).base64URLEncodedString() }

    static func wasUsed(_ nonce: String, on req: Request) -> Bool {
        (req.session.data[key] ?? "").split(separator: " ").contains { $0 == nonce }
    }

    static func markUsed(_ nonce: String, on req: Request) {
        guard nonce.count <= 64, !nonce.contains(" ") else { return }
        let used = (req.session.data[key] ?? "").split(separator: " ").suffix(9).map(String.init) + [nonce]
        req.session.data[key] = used.joined(separator: " ")
    }
}
