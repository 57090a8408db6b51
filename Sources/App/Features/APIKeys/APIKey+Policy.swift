import Foundation

/// A key's policy as the store takes it: the model (in Database) knows columns, this knows
/// what they mean.
extension APIKey {
    /// What a key's name may be (the create and edit forms, and a name given up after a leak).
    static let nameRule = TextRule.name(maximum: 100)

    convenience init(
        id: UUID? = UUID(), teamID: UUID, createdByID: UUID, name: String, lastFour: String, policy: APIKeyPolicy
    ) {
        self.init()
        self.id = id
        self.$team.id = teamID
        self.$createdBy.id = createdByID
        self.name = name
        self.lastFour = lastFour
        self.mayRollItself = false
        self.eventsScoped = false
        apply(policy)
    }

    var policy: APIKeyPolicy {
        APIKeyPolicy(
            description: keyDescription, granted: granted, allowedAddresses: APIKeyPolicy.ranges(allowedAddresses),
            mayRollItself: mayRollItself, expiresAt: expiresAt, rateLimitPerMinute: rateLimitPerMinute)
    }

    func apply(_ policy: APIKeyPolicy) {
        keyDescription = policy.description
        granted = policy.granted
        allowedAddresses =
            policy.allowedAddresses.isEmpty ? nil : policy.allowedAddresses.map(\.description).joined(separator: " ")
        mayRollItself = policy.mayRollItself
        expiresAt = policy.expiresAt
        rateLimitPerMinute = policy.rateLimitPerMinute
    }
}
