import Foundation

/// What the API Keys pages show: no plaintext key here except the one being created, and that
/// one only in the response that creates it.
enum APIKeyPages {
    struct KeyRow: Encodable {
        let id, name, preview, createdBy, deletePath: String
        let created: TimeView
        let lastUsed, expires: TimeView?
        let expired: Bool

        init(_ key: APIKey, creators: [UUID: String], now: Date = Date()) {
            id = key.id!.lowercasedString
            name = key.name
            preview = "…" + key.lastFour
            created = TimeView(key.createdAt ?? now, now: now)
            createdBy = creators[key.$createdBy.id] ?? "a former member"
            lastUsed = key.lastUsedAt.map { TimeView($0, now: now) }
            expires = key.expiresAt.map { TimeView($0, now: now) }
            expired = key.expiresAt.map { $0 <= now } ?? false
            deletePath = SitePath.apiKeyDelete(.value(key.id!)).path
        }
    }

    struct CreatedKey: Encodable {
        let name: String
        let plaintext: String
    }

    struct ListContext: Encodable {
        let page: PageContext
        let keys: [KeyRow]
        let hasKeys, isAdmin, atLimit: Bool
        let admins, nonce: String
        let created: CreatedKey?
        let limit: Int
    }

    struct NewContext: Encodable {
        let page: PageContext
        let isAdmin: Bool
        let admins, nonce: String
        let name, error: String?
    }

    struct DeleteContext: Encodable {
        let page: PageContext
        let key: KeyRow
    }

    /// Expiration choices offered when creating a key, in days (0 = never).
    static let expirationChoices = [0, 7, 30, 60, 90, 365]
}
