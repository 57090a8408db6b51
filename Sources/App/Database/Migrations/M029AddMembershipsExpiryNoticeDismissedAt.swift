import Fluent

/// When each person last dismissed the notice of their team's keys expiring.
struct M029AddMembershipsExpiryNoticeDismissedAt: AsyncMigration {
    var name: String { "029-add-memberships-expiry-notice-dismissed-at" }

    func prepare(on database: any Database) async throws {
        try await database.schema("memberships").field("expiry_notice_dismissed_at", .datetime).update()
    }

    func revert(on database: any Database) async throws {
        try await database.schema("memberships").deleteField("expiry_notice_dismissed_at").update()
    }
}
