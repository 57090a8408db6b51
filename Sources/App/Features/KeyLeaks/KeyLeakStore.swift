import APIKeyCore
import Fluent
import Foundation
import SQLKit

/// Revokes keys reported as leaked, whichever way the report came (the public endpoint,
/// GitHub's secret scanning, the command line), and dismisses the team's notice about one.
///
/// Only strings that are well-formed keys (format and checksum, no I/O) reach the database:
/// one indexed read per 100 of them, then one conditional write per key found. The write is
/// `UPDATE … WHERE revoked_at IS NULL`, the key's row lock: a report repeated (or sent twice at
/// once) revokes and records once, and a roll or a delete of the same key runs before or after
/// it, never in between (`APIKeySecrets.roll` ends every secret of a key it finds revoked).
enum KeyLeakStore {
    /// One reported credential and what the reporter knows about where it was found.
    struct Report: Sendable {
        let token: String
        var url: String? = nil
        var source: String? = nil
    }

    /// What became of one report. Never says which key: callers answer the public with counts.
    struct Outcome: Sendable, Equatable {
        /// Format and checksum hold.
        var wellFormed = false
        /// A current secret, or an old one still in its grace period, of an existing key.
        var live = false
        /// Its key was revoked by this report (false when it already was).
        var revokedNow = false
    }

    /// At most this many digests per lookup query.
    static let batchSize = 100

    /// Revokes the keys of every live secret among `reports`; returns one outcome per report,
    /// in order, and counts them in `metrics`.
    static func revoke(
        _ reports: [Report], via channel: Metrics.LeakChannel, now: Date = Date(), metrics: Metrics, on db: any Database
    ) async throws -> [Outcome] {
        var outcomes = [Outcome](repeating: Outcome(), count: reports.count)
        var digests: [String: [Int]] = [:]
        for (index, report) in reports.enumerated() {
            guard let token = try? APIKeyToken(parsing: report.token) else { continue }
            outcomes[index].wellFormed = true
            digests[token.digest, default: []].append(index)
        }
        metrics.leakReports(channel, .received, count: reports.count)
        metrics.leakReports(channel, .wellFormed, count: digests.values.reduce(0) { $0 + $1.count })
        guard !digests.isEmpty else { return outcomes }

        // Which key each live secret belongs to; the first report of a key gives its details.
        var keys: [UUID: (digest: String, report: Int)] = [:]
        var order: [UUID] = []
        let all = Array(digests.keys)
        for start in stride(from: 0, to: all.count, by: batchSize) {
            let batch = all[start..<min(start + batchSize, all.count)]
            metrics.query(.read, "leak_lookup")
            let rows = try await db.sql.select().column("digest").column("key_id").from(APIKeySecret.schema)
                .where("digest", .in, Array(batch))
                .where(group: { $0.where("ends_at", .is, SQLLiteral.null).orWhere("ends_at", .greaterThan, now) })
                .all()
            for row in rows {
                let digest = try row.decode(column: "digest", as: String.self)
                let keyID = try row.decode(column: "key_id", as: UUID.self)
                let indexes = digests[digest] ?? []
                for index in indexes { outcomes[index].live = true }
                if keys[keyID] == nil, let first = indexes.min() {
                    keys[keyID] = (digest, first)
                    order.append(keyID)
                }
            }
        }
        for keyID in order {
            let (digest, index) = keys[keyID]!
            if try await revoke(
                key: keyID, digest: digest, report: reports[index], via: channel, now: now, metrics: metrics, on: db)
            {
                outcomes[index].revokedNow = true
            }
        }
        metrics.leakReports(channel, .live, count: outcomes.filter(\.live).count)
        metrics.leakReports(channel, .revoked, count: outcomes.filter(\.revokedNow).count)
        return outcomes
    }

    /// Revokes one key, once, with its audit entry; false if it already was revoked, or was
    /// deleted (or its reported secret ended) meanwhile.
    private static func revoke(
        key keyID: UUID, digest: String, report: Report, via channel: Metrics.LeakChannel, now: Date, metrics: Metrics,
        on db: any Database
    ) async throws -> Bool {
        let url = KeyLeakFields.url(report.url), source = KeyLeakFields.source(report.source)
        metrics.query(.write, "leak_revoke")
        return try await db.transaction { db in
            // The reported secret must still be there: a roll that ended it meanwhile leaves the key alone.
            let secretStillThere: SQLQueryString =
                "EXISTS (SELECT 1 FROM api_key_secrets s WHERE s.key_id = api_keys.id AND s.digest = \(bind: digest))"
            let rows = try await db.sql.update(APIKey.schema)
                .set("revoked_at", to: now).set("revoked_via", to: channel.rawValue)
                .set("leak_url", to: url).set("leak_source", to: source)
                .set("leak_notice_dismissed_at", to: SQLLiteral.null).set(
                    "leak_notice_dismissed_by", to: SQLLiteral.null
                )
                .where("id", .equal, keyID).where("revoked_at", .is, SQLLiteral.null)
                .where(secretStillThere)
                .returning("team_id", "name", "last_four")
                .all()
            guard let row = rows.first else { return false }
            let name = try row.decode(column: "name", as: String.self),
                lastFour = try row.decode(column: "last_four", as: String.self)
            let summary =
                "revoked API key “\(name)” (…\(lastFour)): reported as leaked \(LeakDetails.how(channel, url: url, source: source))"
            let team = try row.decode(column: "team_id", as: UUID.self)
            try await Audit.record(
                .keyRevokedAsLeaked, team: team, by: nil, actor: LeakDetails.actor(channel), summary, on: db)
            try await KeyWebhook.record(
                .apiKeyLeaked, key: keyID, name: name, lastFour: lastFour, team: team, by: LeakDetails.actor(channel),
                on: db)
            return true
        }
    }

    /// The team's keys revoked as leaked whose notice no admin has dismissed, newest first.
    static func undismissed(team: UUID, on db: any Database) async throws -> [APIKey] {
        try await APIKey.query(on: db).filter(\.$team.$id == team)
            .filter(\.$revokedAt != nil).filter(\.$leakNoticeDismissedAt == nil)
            .sort(\.$revokedAt, .descending).all()
    }

    /// Dismisses the team's notice about `key`, once, with its audit entry.
    static func dismissNotice(of key: APIKey, by user: User, now: Date = Date(), on db: any Database) async throws {
        let keyID = try key.requireID()
        try await db.transaction { db in
            let changed = try await db.sql.update(APIKey.schema)
                .set("leak_notice_dismissed_at", to: now).set("leak_notice_dismissed_by", to: user.name)
                .where("id", .equal, keyID).where("revoked_at", .isNot, SQLLiteral.null)
                .where("leak_notice_dismissed_at", .is, SQLLiteral.null)
                .returning("id").all()
            guard !changed.isEmpty else { return }
            try await Audit.record(
                .keyLeakNoticeDismissed, team: key.$team.id, by: user,
                "dismissed the notice that API key “\(key.name)” (…\(key.lastFour)) was reported as leaked", on: db)
        }
    }
}
