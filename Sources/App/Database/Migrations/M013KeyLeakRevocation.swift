import Fluent

/// Keys can be revoked because they were reported as leaked: when, through which channel, and
/// where the leak was found (GitHub secret scanning sends a URL and a source), plus whether an
/// admin has dismissed the team's notice about it. The revocation is read by the same query
/// that verifies every API request, so it costs no second query.
///
/// One column per `ALTER TABLE`: SQLite adds one column per statement.
struct M013KeyLeakRevocation: AsyncMigration {
    var name: String { "013-key-leak-revocation" }

    private static let columns: [(String, DatabaseSchema.DataType)] = [
        ("revoked_at", .datetime),
        ("revoked_via", .string),
        ("leak_url", .string),
        ("leak_source", .string),
        ("leak_notice_dismissed_at", .datetime),
        ("leak_notice_dismissed_by", .string),
    ]

    func prepare(on database: any Database) async throws {
        for (name, type) in Self.columns {
            try await database.schema(APIKey.schema).field(FieldKey(stringLiteral: name), type).update()
        }
    }

    func revert(on database: any Database) async throws {
        for (name, _) in Self.columns.reversed() {
            try await database.schema(APIKey.schema).deleteField(FieldKey(stringLiteral: name)).update()
        }
    }
}
