import Fluent

extension Migrations {
    /// Every migration, in order. Names are fixed strings so that renaming a type never re-runs one.
    func addKagibagMigrations() {
        add(M001CreateUsers())
        add(M002CreateTeams())
        add(M003CreateMemberships())
        add(M004CreateSessions())
        add(M005CreateAPIKeys())
        add(M006CreateEvents())
        add(M007CreateAttendees())
        add(M008CreateIdempotencyKeys())
        add(M009CreateRevokedAPIKeys())
        add(M010CreateAuditEvents())
        add(M011APIKeySecretsAndPolicy())
        add(M012CreateAPIKeyUsage())
        add(M013KeyLeakRevocation())
        add(M014CreateInvitations())
        add(M015AddUsersLastTeam())
        add(M016AddInvitationsInvitedBy())
        add(M017AddAPIKeyEventScope())
        add(M018AddTicketCodesAndCheckIn())
        add(M019CreateKeyEventUsage())
        add(M020AddAuditAttribution())
        add(M021IndexAuditFilters())
        add(M022CreateAPIKeyRequests())
        add(M023AddVersions())
        add(M024CreateWebhookEndpoints())
        add(M025CreateWebhookMessages())
        add(M026CreateWebhookAttempts())
        add(M027AddAPIKeysExpiringRecordedAt())
        add(M028IndexPendingWebhookMessages())
        add(M029AddMembershipsExpiryNoticeDismissedAt())
        add(M030AddInvitationsLinkToken())
        add(M031AddRevokedAPIKeysRolledKeyID())
        add(M032AddAPIKeysPermissionsEverUsed())
    }
}
