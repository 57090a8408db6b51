/// What a team — and every API key of that team — may do. New cases go at the end only: the
/// order numbers the bits of `api_keys.permissions_ever_used` (M032).
public enum Permission: String, CaseIterable, Codable, Sendable, Comparable {
    case eventsRead = "events:read"
    case eventsWrite = "events:write"
    case attendeesRead = "attendees:read"
    case attendeesWrite = "attendees:write"
    /// Check attendees in by ticket code, and read its events' attendees without their email:
    /// what a door app needs and no more. `attendees:write` allows check-in too.
    case attendeesCheckIn = "attendees:check_in"

    public static func < (lhs: Permission, rhs: Permission) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The column that counts a key's uses of it per day (`api_key_usage_days`): the name with
    /// `_` for `:`. A new permission needs a migration adding its column.
    var usageColumn: String { rawValue.replacingOccurrences(of: ":", with: "_") }

    /// Stored as one space-separated column: portable across SQLite and PostgreSQL, and read
    /// together with the key on every request at no extra cost.
    static func decode(_ column: String) -> Set<Permission> {
        Set(column.split(separator: " ").compactMap { Permission(rawValue: String($0)) })
    }

    static func encode(_ permissions: Set<Permission>) -> String {
        permissions.sorted().map(\.rawValue).joined(separator: " ")
    }
}
