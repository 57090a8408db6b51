import Fluent
import Foundation
import SQLKit

/// `api_key_requests`: each key's recent requests as `RequestLog` flushes them, read newest
/// first by the key's page, its Recent requests and `GET /api/v1/organizer/key/requests`.
enum RequestLogStore {
    private static let columns = [
        "id", "key_id", "team_id", "at", "method", "route", "path", "status", "latency_ms", "client_address",
        "user_agent", "request_id", "problem_title", "problem_detail",
    ]
    /// Rows per INSERT (14 values each, far below either database's limit on binds).
    private static let rowsPerInsert = 100

    /// Writes a flush's entries in one transaction, then trims each key to its newest
    /// `RequestLog.perKey` and each team to its newest `perTeam`. Entries of keys deleted since
    /// are dropped (a key deleted during the write fails it; the retry drops them).
    static func write(_ batch: [UUID: [RequestLog.Entry]], on db: any Database) async throws {
        let keys = Array(batch.keys)
        var teams: [UUID: UUID] = [:]
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ keys[$0..<min($0 + 500, keys.count)] }) {
            let rows = try await db.sql.select().column("id").column("team_id").from("api_keys")
                .where("id", .in, SQLBind.group(Array(chunk))).all()
            for row in rows {
                teams[try row.decode(column: "id", as: UUID.self)] = try row.decode(column: "team_id", as: UUID.self)
            }
        }
        let rows = batch.flatMap { key, entries in
            teams[key].map { team in entries.map { (team, $0) } } ?? []
        }
        guard !rows.isEmpty else { return }
        try await db.transaction { db in
            let sql = db.sql
            for start in stride(from: 0, to: rows.count, by: rowsPerInsert) {
                var insert = sql.insert(into: "api_key_requests").columns(columns)
                for (team, entry) in rows[start..<min(start + rowsPerInsert, rows.count)] {
                    insert = insert.values(
                        SQLBind(entry.id), SQLBind(entry.key), SQLBind(team), SQLBind(entry.at), SQLBind(entry.method),
                        SQLBind(entry.route), SQLBind(entry.path), SQLBind(entry.status),
                        SQLBind(entry.latencyMilliseconds), SQLBind(entry.address), SQLBind(entry.userAgent),
                        SQLBind(entry.requestID), SQLBind(entry.problemTitle), SQLBind(entry.problemDetail))
                }
                try await insert.run()
            }
            for key in Set(rows.map(\.1.key)) {
                try await trim("key_id", key, keeping: RequestLog.perKey, on: sql)
            }
            for team in Set(rows.map(\.0)) {
                try await trim("team_id", team, keeping: RequestLog.perTeam, on: sql)
            }
        }
    }

    /// Deletes the rows of `column = value` older than its newest `count` (by the index on
    /// `(column, id)`: the cut-off is the `count`th id, nothing when there are fewer).
    private static func trim(_ column: String, _ value: UUID, keeping count: Int, on sql: any SQLDatabase)
        async throws
    {
        try await sql.raw(
            """
            DELETE FROM api_key_requests WHERE \(ident: column) = \(bind: value) AND id < (
              SELECT id FROM api_key_requests WHERE \(ident: column) = \(bind: value)
              ORDER BY id DESC LIMIT 1 OFFSET \(literal: count - 1))
            """
        ).run()
    }

    /// Drops what is older than `RequestLog.retentionDays` (a thousand rows a statement).
    static func prune(now: Date = Date(), on db: any Database) async throws {
        let cutoff = now.addingTimeInterval(-TimeInterval(RequestLog.retentionDays) * 86400)
        while try await db.sql.raw(
            """
            DELETE FROM api_key_requests WHERE id IN
              (SELECT id FROM api_key_requests WHERE at < \(bind: cutoff) LIMIT 1000)
            RETURNING id
            """
        ).all().count == 1000 {}
    }

    /// The key's newest requests, newest first: what is stored merged with what this instance
    /// has not written yet (`pending`).
    static func recent(
        of key: UUID, status: RequestLog.StatusFilter? = nil, limit: Int = RequestLog.perKey,
        pending: [RequestLog.Entry] = [], on db: any Database
    ) async throws -> [RequestLog.Entry] {
        var query: SQLQueryString = "SELECT \(unsafeRaw: selectList) FROM api_key_requests WHERE key_id = \(bind: key)"
        if let range = status?.range {
            query += " AND status >= \(bind: range.lowerBound) AND status <= \(bind: range.upperBound)"
        }
        query += " ORDER BY id DESC LIMIT \(literal: limit)"
        var entries = try await db.sql.raw(query).all().map(entry)
        let stored = Set(entries.map(\.id))
        entries += pending.filter { !stored.contains($0.id) && (status?.admits($0.status) ?? true) }
        return Array(entries.sorted { $0.id > $1.id }.prefix(limit))
    }

    /// One of the key's requests by its row id (stored or still `pending`).
    static func find(_ id: UUID, of key: UUID, pending: [RequestLog.Entry], on db: any Database) async throws
        -> RequestLog.Entry?
    {
        if let waiting = pending.first(where: { $0.id == id }) { return waiting }
        return try await db.sql.raw(
            "SELECT \(unsafeRaw: selectList) FROM api_key_requests WHERE id = \(bind: id) AND key_id = \(bind: key)"
        ).first().map(entry)
    }

    /// The key's newest request that answered with `requestID`, still `pending` or stored.
    static func find(requestID: String, of key: UUID, pending: [RequestLog.Entry], on db: any Database)
        async throws -> RequestLog.Entry?
    {
        if let waiting = pending.last(where: { $0.requestID == requestID }) { return waiting }
        return try await db.sql.raw(
            """
            SELECT \(unsafeRaw: selectList) FROM api_key_requests
            WHERE key_id = \(bind: key) AND request_id = \(bind: requestID) ORDER BY id DESC LIMIT 1
            """
        ).first().map(entry)
    }

    /// The newest request of a key of `team` that answered with `requestID` (the id a client
    /// quotes), stored or still waiting in `log` on this instance.
    static func find(requestID: String, team: UUID, log: RequestLog, on db: any Database) async throws
        -> RequestLog.Entry?
    {
        if let waiting = log.pending(requestID: requestID),
            try await db.sql.raw(
                "SELECT id FROM api_keys WHERE id = \(bind: waiting.key) AND team_id = \(bind: team)"
            ).first() != nil
        {
            return waiting
        }
        return try await db.sql.raw(
            """
            SELECT \(unsafeRaw: selectList) FROM api_key_requests
            WHERE team_id = \(bind: team) AND request_id = \(bind: requestID) ORDER BY id DESC LIMIT 1
            """
        ).first().map(entry)
    }

    private static let selectList = columns.filter { $0 != "team_id" }.joined(separator: ", ")

    private static func entry(_ row: any SQLRow) throws -> RequestLog.Entry {
        RequestLog.Entry(
            id: try row.decode(column: "id", as: UUID.self), key: try row.decode(column: "key_id", as: UUID.self),
            at: try row.decode(column: "at", as: Date.self), method: try row.decode(column: "method", as: String.self),
            route: try row.decode(column: "route", as: String.self),
            path: try row.decode(column: "path", as: String.self),
            status: try row.decode(column: "status", as: Int.self),
            latencyMilliseconds: try row.decode(column: "latency_ms", as: Double.self),
            address: try row.decode(column: "client_address", as: String.self),
            userAgent: try row.decode(column: "user_agent", as: String?.self),
            requestID: try row.decode(column: "request_id", as: String.self),
            problemTitle: try row.decode(column: "problem_title", as: String?.self),
            problemDetail: try row.decode(column: "problem_detail", as: String?.self))
    }
}
