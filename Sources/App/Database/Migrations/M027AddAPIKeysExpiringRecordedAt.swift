import Fluent

/// When a key's coming expiry was announced (the `api_key.expiring` webhook), once per expiry:
/// a roll that sets a new expiry clears it.
struct M027AddAPIKeysExpiringRecordedAt: AsyncMigration {
    var name: String { "027-add-api-keys-expiring-recorded-at" }

    func prepare(on database: any Database) async throws {
        try await database.schema("api_keys").field("expiring_recorded_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("api_keys").deleteField("expiring_recorded_at").update()
    }
}
