import Foundation
import Vapor

/// The fields of the create and edit forms, as posted.
struct APIKeyFormInput: Content {
    var name, description, nonce, addresses: String?
    /// "dialog" when posted from the list's dialog (so problems are shown there again).
    var from: String?
    var permissionChoice: String?
    var permissions: [String]?
    var mayRollItself: String?
    var expiresInDays: String?

    enum CodingKeys: String, CodingKey {
        case name, description, nonce, permissions, from
        case addresses = "allowed_addresses"
        case permissionChoice = "permission_choice"
        case mayRollItself = "may_roll_itself"
        case expiresInDays = "expires_in_days"
    }

    /// The name and policy, or every problem at once. Editing keeps the key's expiry: a
    /// lifetime changes only by rolling.
    func validated(for team: Team, editing key: APIKey? = nil) throws -> (name: String, policy: APIKeyPolicy) {
        var validation = Validation()
        let name = APIKey.nameRule.check(self.name, InputField("name", label: "Name"), into: &validation)
        let policy = validation.collect {
            try APIKeyPolicy(
                description: description, permissionChoice: permissionChoice, permissions: permissions ?? [],
                addresses: addresses,
                mayRollItself: mayRollItself != nil,
                lifetime: key.map { .keep($0.expiresAt) } ?? .choose(days: expiresInDays), team: team)
        }
        try validation.finish()
        guard let name, let policy else { throw DomainError.invalid(validation.problems) }
        return (name, policy)
    }
}

/// What the create and edit forms show: the values to fill in, and the choices.
struct APIKeyFormValues: Encodable {
    struct Option: Encodable {
        let value, label: String
        let selected: Bool
    }

    var name = "", description = "", addresses = ""
    var onlySome = false
    var mayRollItself = false
    var permissions: [Option] = []
    var lifetimes: [Option] = []

    /// A blank form for `team`, or the values of `key`, or what was posted (after a problem).
    /// The ids of the form's inputs, by the field names the rules use.
    static let fieldIDs = [
        "name": "key-name", "description": "key-description", "permissions": "key-permissions",
        "allowed_addresses": "key-addresses", "expires_in_days": "key-expires",
    ]

    init(team: Team, key: APIKey? = nil, posted: APIKeyFormInput? = nil) {
        let chosen = Set(posted?.permissions ?? key?.granted?.map(\.rawValue) ?? [])
        permissions = team.permissions.sorted().map {
            Option(value: $0.rawValue, label: $0.rawValue, selected: chosen.contains($0.rawValue))
        }
        let days = posted?.expiresInDays ?? (team.maxKeyLifetimeDays.map(String.init) ?? "0")
        lifetimes = APIKeyPolicy.lifetimes(allowedBy: team.maxKeyLifetimeDays).map {
            Option(value: String($0), label: Self.lifetimeLabel($0), selected: String($0) == days)
        }
        if let posted {
            name = String((posted.name ?? "").prefix(200))
            description = String((posted.description ?? "").prefix(600))
            addresses = String((posted.addresses ?? "").prefix(2000))
            onlySome = posted.permissionChoice == "only"
            mayRollItself = posted.mayRollItself != nil
        } else if let key {
            name = key.name
            description = key.keyDescription ?? ""
            addresses = APIKeyPolicy.ranges(key.allowedAddresses).map(\.description).joined(separator: "\n")
            onlySome = key.granted != nil
            mayRollItself = key.mayRollItself
        }
    }

    static func lifetimeLabel(_ days: Int) -> String {
        switch days {
        case 0: "No expiration"
        case 365: "1 year"
        default: "\(days) days"
        }
    }
}
