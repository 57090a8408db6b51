import Fluent
import Foundation
import SQLKit

/// Every read and write of key usage. Writes come only from `UsageRecorder.flush`: one
/// statement per table per batch (chunked for very large batches), counts added and times only
/// moved forward, so the batches of several instances merge.
enum APIKeyUsage {
    static let daysTable = "api_key_usage_days"
    static let addressesTable = "api_key_addresses"
    static let outcomeColumns = ["ok", "client_errors", "rate_limited", "server_errors"]
    /// One per permission, in `Permission.allCases` order (the order of `DayTally.permissions`).
    static let permissionColumns = Permission.allCases.map(\.usageColumn)
    static var counterColumns: [String] { outcomeColumns + permissionColumns + ["events_untracked"] }
    static let retentionDays = 90
    private static let chunk = 400

    /// One day of a key's requests.
    struct Day: Sendable, Equatable {
        let day: Int
        var tally = UsageRecorder.DayTally()
        var date: Date { Date(timeIntervalSince1970: TimeInterval(day) * 86400) }
        var total: Int { tally.ok + tally.clientErrors + tally.rateLimited + tally.serverErrors }
    }

    struct Address: Sendable {
        let address: String
        let firstSeen, lastSeen: Date
    }

    static func write(_ batch: UsageRecorder.Batch, on db: any Database) async throws {
        try await db.transaction { db in
            let sql = db.sql
            for part in Array(batch.secrets).chunked(chunk) {
                let whens = caseWhen(part.map { ($0.key, $0.value) })
                try await sql.raw(
                    """
                    UPDATE api_key_secrets SET last_used_at = \(whens)
                    WHERE id IN (\(binds: part.map(\.key))) AND (last_used_at IS NULL OR last_used_at < \(whens))
                    """
                ).run()
            }
            let used = batch.keys.compactMap { key, tally in tally.lastAt.map { (key, $0, tally) } }
            for part in used.chunked(chunk) {
                let at = caseWhen(part.map { ($0.0, $0.1) })
                let address = caseWhen(part.map { ($0.0, $0.2.lastAddress) })
                let agent = caseWhen(part.map { ($0.0, $0.2.lastUserAgent) })
                try await sql.raw(
                    """
                    UPDATE api_keys SET last_used_at = \(at), last_used_address = \(address), last_used_user_agent = \(agent)
                    WHERE id IN (\(binds: part.map(\.0))) AND (last_used_at IS NULL OR last_used_at < \(at))
                    """
                ).run()
            }
            let days = batch.keys.flatMap { key, tally in tally.days.map { (key, $0.key, $0.value) } }
            for part in days.chunked(chunk) {
                var query = SQLQueryString(
                    "INSERT INTO api_key_usage_days (key_id, day, \(unsafeRaw: counterColumns.joined(separator: ", "))) "
                )
                query.appendInterpolation(unsafeRaw: "SELECT * FROM (VALUES ")
                for (index, row) in part.enumerated() {
                    let t = row.2
                    let values: [any Encodable & Sendable] =
                        [row.0, row.1, t.ok, t.clientErrors, t.rateLimited, t.serverErrors] + t.permissions
                        + [t.eventsUntracked]
                    query.appendLiteral(index == 0 ? "(" : ", (")
                    query.appendInterpolation(binds: values)
                    query.appendLiteral(")")
                }
                // A key deleted since its requests leaves nothing behind (VALUES columns are
                // named column1, column2, … on both SQLite and PostgreSQL).
                query.appendLiteral(") AS v WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = v.column1)")
                let sums = counterColumns.map { "\($0) = api_key_usage_days.\($0) + excluded.\($0)" }.joined(
                    separator: ", ")
                query.appendLiteral(" ON CONFLICT (key_id, day) DO UPDATE SET \(sums)")
                try await sql.raw(query).run()
            }
            // Each permission a key uses is remembered for its whole life, past the usage kept.
            let masks = batch.keys.compactMap { key, tally -> (UUID, (any Encodable & Sendable)?)? in
                let mask = everUsedMask(tally)
                return mask == 0 ? nil : (key, mask)
            }
            for part in masks.chunked(chunk) {
                let mask = caseWhen(Array(part))
                try await sql.raw(
                    """
                    UPDATE api_keys SET permissions_ever_used = permissions_ever_used | \(mask)
                    WHERE id IN (\(binds: part.map(\.0))) AND (permissions_ever_used | \(mask)) <> permissions_ever_used
                    """
                ).run()
            }
            let seen = batch.keys.flatMap { key, tally in
                tally.addresses.map { (key, $0.key, $0.value.first, $0.value.last) }
            }
            for part in seen.chunked(chunk) {
                var query = SQLQueryString(
                    "INSERT INTO api_key_addresses (key_id, address, first_seen, last_seen) SELECT * FROM (VALUES ")
                for (index, row) in part.enumerated() {
                    query.appendLiteral(index == 0 ? "(" : ", (")
                    query.appendInterpolation(binds: [row.0, row.1, row.2, row.3] as [any Encodable & Sendable])
                    query.appendLiteral(")")
                }
                query.appendLiteral(") AS v WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = v.column1)")
                query.appendLiteral(
                    """
                     ON CONFLICT (key_id, address) DO UPDATE SET
                    first_seen = CASE WHEN excluded.first_seen < api_key_addresses.first_seen THEN excluded.first_seen ELSE api_key_addresses.first_seen END,
                    last_seen = CASE WHEN excluded.last_seen > api_key_addresses.last_seen THEN excluded.last_seen ELSE api_key_addresses.last_seen END
                    """)
                try await sql.raw(query).run()
            }
            try await KeyEventUsage.write(batch, on: db)
        }
    }

    /// `CASE id WHEN … THEN … END` over `pairs`.
    private static func caseWhen(_ pairs: [(UUID, (any Encodable & Sendable)?)]) -> SQLQueryString {
        var query = SQLQueryString("CASE id")
        for (id, value) in pairs {
            query.appendLiteral(" WHEN ")
            query.appendInterpolation(bind: id)
            query.appendLiteral(" THEN ")
            if let value { query.appendInterpolation(bind: value) } else { query.appendLiteral("NULL") }
        }
        query.appendLiteral(" END")
        return query
    }

    /// Drops daily rows past the retention and addresses beyond the most recent few per key,
    /// a thousand rows at a time.
    static func prune(now: Date = Date(), on db: any Database) async throws {
        let oldest = UsageRecorder.day(of: now) - retentionDays
        while try await db.sql.raw(
            """
            DELETE FROM api_key_usage_days WHERE (key_id, day) IN
              (SELECT key_id, day FROM api_key_usage_days WHERE day < \(bind: oldest) LIMIT 1000)
            RETURNING day
            """
        ).all().count == 1000 {}
        try await KeyEventUsage.prune(before: oldest, on: db)
        let cutoff = now.addingTimeInterval(-TimeInterval(retentionDays) * 86400)
        while try await db.sql.raw(
            """
            DELETE FROM api_key_addresses WHERE (key_id, address) IN
              (SELECT key_id, address FROM (SELECT key_id, address, last_seen,
                 ROW_NUMBER() OVER (PARTITION BY key_id ORDER BY last_seen DESC) AS n FROM api_key_addresses) ranked
               WHERE n > \(bind: UsageRecorder.addressesPerKey) OR last_seen < \(bind: cutoff) LIMIT 1000)
            RETURNING address
            """
        ).all().count == 1000 {}
    }

    /// The key's requests for each of the last `count` days (today included), oldest first;
    /// days without requests are zero.
    static func days(of key: UUID, count: Int, now: Date = Date(), on db: any Database) async throws -> [Day] {
        let today = UsageRecorder.day(of: now)
        let first = today - count + 1
        let rows = try await db.sql.raw(
            """
            SELECT day, \(unsafeRaw: counterColumns.joined(separator: ", ")) FROM api_key_usage_days
            WHERE key_id = \(bind: key) AND day >= \(bind: first) ORDER BY day
            """
        ).all()
        var byDay: [Int: UsageRecorder.DayTally] = [:]
        for row in rows {
            var t = UsageRecorder.DayTally()
            t.ok = try row.decode(column: "ok", as: Int.self)
            t.clientErrors = try row.decode(column: "client_errors", as: Int.self)
            t.rateLimited = try row.decode(column: "rate_limited", as: Int.self)
            t.serverErrors = try row.decode(column: "server_errors", as: Int.self)
            t.permissions = try permissionColumns.map { try row.decode(column: $0, as: Int.self) }
            t.eventsUntracked = try row.decode(column: "events_untracked", as: Int.self)
            byDay[try row.decode(column: "day", as: Int.self)] = t
        }
        return (first...today).map { Day(day: $0, tally: byDay[$0] ?? .init()) }
    }

    /// The most recent distinct client addresses of the key.
    static func addresses(of key: UUID, on db: any Database) async throws -> [Address] {
        try await db.sql.raw(
            """
            SELECT address, first_seen, last_seen FROM api_key_addresses WHERE key_id = \(bind: key)
            ORDER BY last_seen DESC LIMIT \(literal: UsageRecorder.addressesPerKey)
            """
        ).all().map {
            Address(
                address: try $0.decode(column: "address", as: String.self),
                firstSeen: try $0.decode(column: "first_seen", as: Date.self),
                lastSeen: try $0.decode(column: "last_seen", as: Date.self))
        }
    }

    /// The permissions requests with the key actually used on `days`.
    /// A bit per permission (`Permission.allCases` order) the tally's requests used.
    static func everUsedMask(_ tally: UsageRecorder.KeyTally) -> Int {
        var mask = 0
        for day in tally.days.values {
            for (index, count) in day.permissions.enumerated() where count > 0 { mask |= 1 << index }
        }
        return mask
    }

    /// Every permission the key has used since it was made (since M032 for older keys, from the
    /// usage kept then): "Restrict to what it uses" never suggests taking one of them away,
    /// however long ago its last use.
    static func permissionsEverUsed(by key: UUID, on db: any Database) async throws -> Set<Permission> {
        let mask =
            try await db.sql.raw("SELECT permissions_ever_used AS m FROM api_keys WHERE id = \(bind: key)").first()?
            .decode(column: "m", as: Int.self) ?? 0
        return Set(Permission.allCases.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element))
    }

    static func permissionsUsed(in days: [Day]) -> Set<Permission> {
        Set(
            Permission.allCases.enumerated().filter { index, _ in days.contains { $0.tally.permissions[index] > 0 } }
                .map(\.1))
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
