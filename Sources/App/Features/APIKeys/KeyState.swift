import Foundation

/// What a key is right now: its status (and why), what it may do and which side limits that,
/// and when it expires. The one place these are decided; the authenticator, `GET /key`, the
/// list and its filter, the key's page and the expiry notices all ask it. (The list's SQL
/// filter mirrors `status` in `APIKeyStore.condition(for:now:)`, next to a test that the two
/// agree.)
struct KeyState: Sendable, Equatable {
    /// In order of precedence: a key that is several of these shows the first.
    enum Status: String, CaseIterable, Sendable {
        case leaked, expired, paused, expiring, active

        var label: String {
            switch self {
            case .leaked: "Revoked: reported leaked"
            case .expired: "Expired"
            case .paused: "Paused"
            case .expiring: "Expiring"
            case .active: "Active"
            }
        }

        /// The class that colours the status on the pages.
        var tone: String {
            switch self {
            case .leaked, .expired: "danger-text"
            case .paused, .expiring: "warning-text"
            case .active: "ok-text"
            }
        }

        init(revokedAt: Date?, expiresAt: Date?, pausedAt: Date?, now: Date = Date()) {
            if revokedAt != nil {
                self = .leaked
            } else if let expiresAt, expiresAt <= now {
                self = .expired
            } else if pausedAt != nil {
                self = .paused
            } else if let expiresAt, expiresAt.timeIntervalSince(now) <= KeyState.expiringWindow {
                self = .expiring
            } else {
                self = .active
            }
        }

        init(_ key: APIKey, now: Date = Date()) {
            self.init(revokedAt: key.revokedAt, expiresAt: key.expiresAt, pausedAt: key.pausedAt, now: now)
        }
    }

    /// A key expiring within this is `expiring`; one that expired within it is still mentioned
    /// on the Admin pages.
    static let expiringWindow: TimeInterval = 7 * 86400
    /// A key unused (or never used) for this long is listed under "Unused".
    static let unusedWindow: TimeInterval = 30 * 86400

    let status: Status
    let expiresAt: Date?
    /// The key's own choice (nil: all of the team's), and the team's permissions now.
    let granted: Set<Permission>?
    let teamPermissions: Set<Permission>
    /// Whether the key reaches only its chosen events, and when it works if only around them.
    let eventsScoped: Bool
    let window: EventWindow?

    init(
        revokedAt: Date?, expiresAt: Date?, pausedAt: Date?, granted: Set<Permission>?,
        teamPermissions: Set<Permission>, eventsScoped: Bool = false, window: EventWindow? = nil, now: Date = Date()
    ) {
        self.expiresAt = expiresAt
        self.granted = granted
        self.teamPermissions = teamPermissions
        self.eventsScoped = eventsScoped
        self.window = window
        status = Status(revokedAt: revokedAt, expiresAt: expiresAt, pausedAt: pausedAt, now: now)
    }

    /// When the key's answers say it stops working: its expiry or its window's end, the sooner.
    var worksUntil: Date? {
        [expiresAt, window?.until].compactMap { $0 }.min()
    }

    /// What the key may do on a request now: its own choice within the team's current permissions.
    var permissions: Set<Permission> {
        granted.map { $0.intersection(teamPermissions) } ?? teamPermissions
    }

    /// Why the key may not use `permission`: nil if it may; otherwise whether the team holds it
    /// (then the key's own choice leaves it out) or not.
    func lacks(_ permission: Permission) -> Lack? {
        guard !permissions.contains(permission) else { return nil }
        return teamPermissions.contains(permission) ? .byKey : .byTeam
    }

    /// Whether the key may check attendees in: `attendees:check_in`, or `attendees:write`.
    var mayCheckIn: Bool { !permissions.isDisjoint(with: [.attendeesCheckIn, .attendeesWrite]) }

    enum Lack: Equatable, Sendable { case byKey, byTeam }
}

extension KeyState {
    init(_ key: APIKey, teamPermissions: Set<Permission>, now: Date = Date()) {
        self.init(
            revokedAt: key.revokedAt, expiresAt: key.expiresAt, pausedAt: key.pausedAt, granted: key.granted,
            teamPermissions: teamPermissions, eventsScoped: key.eventsScoped, now: now)
    }
}
