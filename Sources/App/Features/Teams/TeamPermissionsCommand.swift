import ConsoleKit
import Fluent
import Foundation
import Vapor

/// `kagibag team …`: operator commands for teams.
struct TeamCommand: AsyncCommandGroup {
    let help = "Manage teams from the command line."
    let commands: [String: any AnyAsyncCommand] = ["permissions": TeamPermissionsCommand()]
}

/// `kagibag team permissions TEAM [--grant P[,P…]] [--revoke P[,P…]]`
///
/// Changes take effect on the next API request on every instance: keys read their team's
/// permissions from the database on every request.
struct TeamPermissionsCommand: AsyncCommand {
    struct Signature: CommandSignature {
        @Argument(name: "team", help: "The team's slug or id.")
        var team: String

        @Option(name: "grant", short: "g", help: "Permissions to grant, comma-separated.")
        var grant: String?

        @Option(name: "revoke", short: "r", help: "Permissions to revoke, comma-separated.")
        var revoke: String?
    }

    var help: String {
        "Shows a team's permissions, or grants and revokes them. Known permissions: "
            + Permission.allCases.map(\.rawValue).joined(separator: ", ")
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let db = context.application.db
        guard let team = try await TeamStore.team(slugOrID: signature.team, on: db) else {
            throw CommandFailure("no team with slug or id '\(signature.team)'")
        }
        let grant = try Self.parse(signature.grant)
        let revoke = try Self.parse(signature.revoke)
        if !grant.isDisjoint(with: revoke) {
            throw CommandFailure("a permission cannot be granted and revoked at once")
        }
        if !grant.isEmpty || !revoke.isEmpty {
            var permissions = team.permissions
            permissions.formUnion(grant)
            permissions.subtract(revoke)
            let before = team.permissions
            team.permissions = permissions
            var changes: [String] = []
            let granted = permissions.subtracting(before).sorted().map(\.rawValue)
            let revoked = before.subtracting(permissions).sorted().map(\.rawValue)
            if !granted.isEmpty { changes.append("granted " + granted.joined(separator: ", ")) }
            if !revoked.isEmpty { changes.append("revoked " + revoked.joined(separator: ", ")) }
            let summary = changes.joined(separator: "; ")
            try await db.transaction { db in
                try await team.save(on: db)
                if !summary.isEmpty {
                    try await Audit.record(.permissionsChanged, team: team.id!, by: nil, summary, on: db)
                }
            }
            context.application.logger.notice(
                "team permissions changed",
                metadata: ["team": "\(team.slug)", "permissions": "\(Permission.encode(permissions))"])
        }
        context.console.print("\(team.slug): \(team.permissions.sorted().map(\.rawValue).joined(separator: " "))")
    }

    private static func parse(_ list: String?) throws -> Set<Permission> {
        guard let list else { return [] }
        var result = Set<Permission>()
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let permission = Permission(rawValue: name) else {
                throw CommandFailure(
                    "unknown permission '\(name)'; known: \(Permission.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            result.insert(permission)
        }
        return result
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
