import Fluent
import Foundation
import SQLKit

/// Refused because it would leave a team without an admin.
struct LastAdmin: Error {
    static let message = "A team needs at least one admin. Make someone else an admin first."
}

/// Refused because the last member would leave behind API keys that nobody could revoke.
struct LastMemberWithKeys: Error {
    let keys: Int
}

/// Every read and write of teams and memberships.
enum TeamStore {
    /// Maximum key lifetimes a team may set, in days (nil = no limit).
    static let keyLifetimeLimits: [Int?] = [nil, 30, 90, 365]

    /// Remembers the team `user` works in, which their next login opens.
    static func setLastTeam(_ team: UUID, of user: UUID, on db: any Database) async throws {
        try await User.query(on: db).filter(\.$id == user).set(\.$lastTeamID, to: team).update()
    }

    /// Whether the account with `email` (if any) is a member of `team`.
    static func hasMember(email: String, in team: UUID, on db: any Database) async throws -> Bool {
        guard let user = try await User.query(on: db).filter(\.$email == email).first() else { return false }
        return try await membership(of: user.id!, in: team, on: db) != nil
    }

    /// How many API keys the team has (a team with keys cannot lose its last member).
    static func keyCount(of team: UUID, on db: any Database) async throws -> Int {
        try await APIKey.query(on: db).filter(\.$team.$id == team).count()
    }

    /// A user's teams, by name.
    static func memberships(of user: UUID, on db: any Database) async throws -> [CurrentUser.TeamMembership] {
        try await Membership.query(on: db)
            .filter(\.$user.$id == user)
            .with(\.$team)
            .all()
            .map { CurrentUser.TeamMembership(team: $0.team, membership: $0) }
            .sorted { $0.team.name.localizedCaseInsensitiveCompare($1.team.name) == .orderedAscending }
    }

    /// The team's members with their users: admins first, then by name.
    static func members(of team: UUID, on db: any Database) async throws -> [Membership] {
        try await Membership.query(on: db)
            .filter(\.$team.$id == team)
            .with(\.$user)
            .all()
            .sorted {
                ($0.role == .admin ? 0 : 1, $0.user.name.lowercased()) < (
                    $1.role == .admin ? 0 : 1, $1.user.name.lowercased()
                )
            }
    }

    /// A membership of `team` by id; another team's id answers like a missing one.
    static func membership(_ id: String?, in team: UUID, on db: any Database) async throws -> Membership {
        guard let id = id.flatMap(UUID.init(uuidString:)),
            let membership = try await Membership.query(on: db)
                .filter(\.$id == id).filter(\.$team.$id == team).with(\.$user).first()
        else { throw DomainError.notFound("That member is not in this team.") }
        return membership
    }

    static func membership(of user: UUID, in team: UUID, on db: any Database) async throws -> Membership? {
        try await Membership.query(on: db).filter(\.$team.$id == team).filter(\.$user.$id == user).first()
    }

    /// The names of the team's admins, for telling members whom to ask.
    static func adminNames(of team: Team, on db: any Database) async throws -> String {
        try await Membership.query(on: db)
            .filter(\.$team.$id == team.requireID()).filter(\.$roleColumn == TeamRole.admin.rawValue)
            .with(\.$user).all()
            .map(\.user.name).sorted().joined(separator: ", ")
    }

    /// Whether `user` is an admin of `team` now; inside `locked`, until the transaction ends.
    static func isAdmin(_ user: UUID, of team: UUID, on db: any Database) async throws -> Bool {
        try await membership(of: user, in: team, on: db)?.role == .admin
    }

    static func adminCount(of team: UUID, on db: any Database) async throws -> Int {
        try await Membership.query(on: db).filter(\.$team.$id == team).filter(\.$roleColumn == TeamRole.admin.rawValue)
            .count()
    }

    static func memberCount(of team: UUID, on db: any Database) async throws -> Int {
        try await Membership.query(on: db).filter(\.$team.$id == team).count()
    }

    /// Deletes the team with everything that belongs to it (members, invitations, API keys,
    /// events, attendees, activity: the foreign keys cascade).
    static func delete(_ team: UUID, on db: any Database) async throws {
        try await Team.query(on: db).filter(\.$id == team).delete()
    }

    static func team(slugOrID: String, on db: any Database) async throws -> Team? {
        let query = Team.query(on: db)
        if let id = UUID(uuidString: slugOrID) {
            query.filter(\.$id == id)
        } else {
            query.filter(\.$slug == slugOrID.lowercased())
        }
        return try await query.first()
    }

    /// Runs `body` in a transaction that first takes the team's row lock (a no-op UPDATE: a row
    /// lock on PostgreSQL, the write lock on SQLite), so that checks such as "is there another
    /// admin?" cannot race with a concurrent change to the same team.
    @discardableResult
    static func locked<T: Sendable>(
        _ team: UUID, on db: any Database, _ body: @escaping @Sendable (any Database) async throws -> T
    ) async throws -> T {
        try await db.transaction { db in
            try await db.sql.raw("UPDATE teams SET name = name WHERE id = \(bind: team)").run()
            return try await body(db)
        }
    }
}
