import APIKeyCore
import Fluent
import Foundation
import SQLKit
import Vapor

/// What the key list shows: a search over name, description and last four, a status filter,
/// a sort order and a page of 20 (or 50 or 100) — all in the query string, so links do it
/// without script. 20 by default: a phone's list stays a few screens long (the server cannot
/// tell a phone from a desktop without script), and a desktop is one link from 100.
struct APIKeyListQuery: Sendable, Equatable {
    enum Status: String, CaseIterable, Sendable {
        case all, active, paused, expiring, expired, leaked
        case neverUsed = "never_used"
        /// Older than the idle window and not used within it: a brand-new key is not idle, it is
        /// waiting for its first run (an admin cleaning up must not be led to delete it).
        case idle

        var label: String {
            switch self {
            case .all: "All"
            case .active: "Active"
            case .paused: "Paused"
            case .expiring: "Expiring within 7 days"
            case .expired: "Expired"
            case .leaked: "Revoked: reported leaked"
            case .neverUsed: "Never used"
            case .idle: "Idle 30+ days"
            }
        }
    }

    enum Sort: String, CaseIterable, Sendable {
        case created, name, lastUsed = "last_used"

        var label: String {
            switch self {
            case .created: "Newest first"
            case .name: "Name"
            case .lastUsed: "Last used"
            }
        }
    }

    /// The page sizes offered; the first is the default.
    static let pageSizes = [20, 50, 100]

    var search = ""
    var status = Status.all
    var sort = Sort.created
    var page = 1
    var perPage = pageSizes[0]

    /// Unknown values fall back to the defaults: a hand-edited link shows the list, not an error.
    init(from req: Request) {
        self.init(
            search: (try? req.query.get(String.self, at: "q")) ?? "",
            status: try? req.query.get(String.self, at: "status"))
        sort = ((try? req.query.get(String.self, at: "sort")).flatMap(Sort.init(rawValue:))) ?? .created
        page = max(1, min(100_000, (try? req.query.get(String.self, at: "page")).flatMap(Int.init) ?? 1))
        perPage =
            (try? req.query.get(String.self, at: "per_page")).flatMap(Int.init).flatMap {
                Self.pageSizes.contains($0) ? $0 : nil
            } ?? Self.pageSizes[0]
    }

    /// A search and a status as typed (the search form's fields).
    init(search text: String, status: String?) {
        search = Self.searchText(text)
        // Never searched for, and never put back into a link or the page.
        if Self.isSecret(search) { search = "" }
        self.status = status.flatMap(Status.init(link:)) ?? .all
    }

    /// Whether `text` holds something like a whole key anywhere in it (`Bearer kgb_…`,
    /// `KAGIBAG_KEY=kgb_…`, a quoted key): the prefix and at least 20 base62 characters, far
    /// more than any name would have. The search form looks such a text up by digest, and a
    /// link never carries it.
    static func isSecret(_ text: some StringProtocol) -> Bool { secretCandidate(in: text) != nil }

    /// The prefix and the run of base62 characters after it, where that run is at least 20 long.
    static func secretCandidate(in text: some StringProtocol) -> String? {
        let bytes = Array(text.utf8), prefix = Array(APIKeyToken.prefix.utf8)
        var start = 0
        while start + prefix.count <= bytes.count {
            if bytes[start..<start + prefix.count].elementsEqual(prefix) {
                var end = start + prefix.count
                while end < bytes.count, isBase62(bytes[end]) { end += 1 }
                if end - start - prefix.count >= 20 { return String(decoding: bytes[start..<end], as: UTF8.self) }
            }
            start += 1
        }
        return nil
    }

    private static func isBase62(_ byte: UInt8) -> Bool {
        (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte)
    }

    init() {}

    /// What is searched for: control characters (a NUL, which PostgreSQL refuses in text) are
    /// dropped like the rest of a hand-edited link's oddities, surrounding space trimmed, at
    /// most 100 characters; a key as the pages show it (`…nXIK`, `kgb_…nXIK`, `...nXIK`) is
    /// its last four.
    static func searchText(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        // Control and format characters go: a NUL (which PostgreSQL refuses in text), a
        // zero-width space or byte-order mark pasted along with a key.
        scalars.append(
            contentsOf: text.unicodeScalars.lazy.filter {
                $0.properties.generalCategory != .control && $0.properties.generalCategory != .format
            })
        var cleaned = Substring(String(scalars).trimmingCharacters(in: .whitespacesAndNewlines))
        for shown in [APIKeyToken.prefix + "…", APIKeyToken.prefix + "...", "…", "..."] where cleaned.hasPrefix(shown) {
            cleaned = cleaned.dropFirst(shown.count)
            break
        }
        return String(cleaned.prefix(100))
    }

    var isFiltered: Bool { !search.isEmpty || status != .all }

    /// The list's path with this query, changed by `change`.
    func path(_ change: (inout APIKeyListQuery) -> Void = { _ in }) -> String {
        var query = self
        change(&query)
        var items: [(String, String)] = []
        if !query.search.isEmpty { items.append(("q", query.search)) }
        if query.status != .all { items.append(("status", query.status.rawValue)) }
        if query.sort != .created { items.append(("sort", query.sort.rawValue)) }
        if query.perPage != Self.pageSizes[0] { items.append(("per_page", String(query.perPage))) }
        if query.page > 1 { items.append(("page", String(query.page))) }
        var components = URLComponents()
        components.path = SitePath.apiKeys.path
        components.queryItems = items.isEmpty ? nil : items.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.string ?? SitePath.apiKeys.path
    }

    /// The team's keys matching the query, this page of them, and how many match in all.
    func run(team: UUID, now: Date = Date(), on db: any Database) async throws -> (keys: [APIKey], total: Int) {
        let sql = db.sql
        var conditions: [SQLQueryString] = ["team_id = \(bind: team)"]
        if !search.isEmpty {
            let escaped = search.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            let pattern = "%\(escaped)%"
            conditions.append(
                """
                (lower(name) LIKE \(bind: pattern) ESCAPE '\\' OR lower(coalesce(description, '')) LIKE \(bind: pattern) ESCAPE '\\'
                 OR lower(last_four) LIKE \(bind: pattern) ESCAPE '\\')
                """)
        }
        switch status {
        case .all: break
        case .active: conditions.append(APIKeyStore.condition(for: .active, now: now))
        case .paused: conditions.append(APIKeyStore.condition(for: .paused, now: now))
        case .expiring: conditions.append(APIKeyStore.condition(for: .expiring, now: now))
        case .expired: conditions.append(APIKeyStore.condition(for: .expired, now: now))
        case .leaked: conditions.append(APIKeyStore.condition(for: .leaked, now: now))
        case .neverUsed: conditions.append("last_used_at IS NULL")
        case .idle:
            let idle = now.addingTimeInterval(-KeyState.unusedWindow)
            conditions.append("created_at < \(bind: idle) AND (last_used_at IS NULL OR last_used_at < \(bind: idle))")
        }
        let whereClause = SQLQueryString(" WHERE ") + conditions.joined(separator: " AND ")
        let order =
            switch sort {
            case .created: "created_at DESC, id DESC"
            case .name: "lower(name), id"
            case .lastUsed: "last_used_at IS NULL, last_used_at DESC, id DESC"
            }
        let total =
            try await sql.raw("SELECT COUNT(*) AS n FROM api_keys" + whereClause).first()?.decode(
                column: "n", as: Int.self) ?? 0
        let ids = try await sql.raw(
            "SELECT id FROM api_keys" + whereClause
                + " ORDER BY \(unsafeRaw: order) LIMIT \(literal: perPage) OFFSET \(literal: (page - 1) * perPage)"
        ).all().map { try $0.decode(column: "id", as: UUID.self) }
        guard !ids.isEmpty else { return ([], total) }
        let keys = try await APIKey.query(on: db).filter(\.$id ~~ ids).all()
        let position = Dictionary(uniqueKeysWithValues: ids.enumerated().map { ($1, $0) })
        return (keys.sorted { position[$0.id!]! < position[$1.id!]! }, total)
    }
}

extension APIKeyListQuery.Status {
    /// A status as a link names it; `unused`, the idle filter's name in links made before it
    /// was split from "Never used", still opens it.
    init?(link: String) {
        if link == "unused" { self = .idle } else { self.init(rawValue: link) }
    }
}
