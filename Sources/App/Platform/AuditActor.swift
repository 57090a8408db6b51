import Foundation

/// Who made a change, as the team's Activity shows it: a person (in the browser), an API key,
/// or something without either ("command line", "Kagibag"); with the client address and the
/// request id of the request that made it, so that an integrator's quoted id leads to the entry.
struct AuditActor: Sendable {
    let user: User?
    /// The person's name, the key's name, or what acted.
    let name: String
    let keyID: UUID?
    let keyLastFour: String?
    let address: String?
    let requestID: String?

    /// Something that is neither a person nor a key: "command line", "Kagibag".
    static func named(_ name: String) -> AuditActor {
        AuditActor(user: nil, name: name, keyID: nil, keyLastFour: nil, address: nil, requestID: nil)
    }

    static func person(_ user: User, address: String?, requestID: String?) -> AuditActor {
        AuditActor(
            user: user, name: user.name, keyID: nil, keyLastFour: nil, address: address, requestID: requestID)
    }

    /// An API key, named as every entry names one: API key “CRM sync”.
    static func key(id: UUID, name: String, lastFour: String, address: String?, requestID: String?) -> AuditActor {
        AuditActor(
            user: nil, name: "API key “\(name)”", keyID: id, keyLastFour: lastFour, address: address,
            requestID: requestID)
    }
}

extension AuditEvent {
    /// The fields the entry says were changed (none for entries without, or from before M020).
    var changeList: [AuditChange] {
        changes.flatMap { try? JSONDecoder().decode([AuditChange].self, from: Data($0.utf8)) } ?? []
    }
}

/// One field an Activity entry says was changed, with its old and new values as shown to people
/// (nil: none).
struct AuditChange: Codable, Sendable, Equatable {
    let field: String
    let from: String?
    let to: String?

    /// The changes among `fields` (name, old, new), leaving out those that stayed the same.
    static func between(_ fields: [(String, String?, String?)]) -> [AuditChange] {
        fields.compactMap { $0.1 == $0.2 ? nil : AuditChange(field: $0.0, from: $0.1, to: $0.2) }
    }
}
