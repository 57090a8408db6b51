import Foundation

/// Every web page's path in one place, so links and routes cannot drift apart.
enum SitePath {
    case home, signup, login, logout, switchTeam
    case admin, team, teamMembers, teamMemberRole(UUID), teamMemberRemove(UUID), teamLeave
    case apiKeys, apiKeysNew, apiKeyDelete(UUID)
    case healthz

    var path: String {
        switch self {
        case .home: "/"
        case .signup: "/signup"
        case .login: "/login"
        case .logout: "/logout"
        case .switchTeam: "/team/switch"
        case .admin: "/admin"
        case .team: "/admin/team"
        case .teamMembers: "/admin/team/members"
        case .teamMemberRole(let id): "/admin/team/members/\(id.uuidString.lowercased())/role"
        case .teamMemberRemove(let id): "/admin/team/members/\(id.uuidString.lowercased())/remove"
        case .teamLeave: "/admin/team/leave"
        case .apiKeys: "/admin/team/api-keys"
        case .apiKeysNew: "/admin/team/api-keys/new"
        case .apiKeyDelete(let id): "/admin/team/api-keys/\(id.uuidString.lowercased())/delete"
        case .healthz: "/healthz"
        }
    }
}
