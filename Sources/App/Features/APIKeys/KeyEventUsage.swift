import Fluent
import Foundation
import SQLKit

/// Which events each key's requests were about, per day: what a key's page lists and what
/// "Restrict to what it uses" narrows an event scope to. At most `UsageRecorder.eventsPerDay`
/// events per key per day are kept by id, across batches and instances; requests about further
/// events count in the day's `events_untracked` (the key used "many").
enum KeyEventUsage {
    /// An event a key used in a period, with its requests.
    struct Used: Sendable, Equatable {
        let event: UUID
        let requests: Int
    }

    static func write(_ batch: UsageRecorder.Batch, on db: any Database) async throws {
        for (key, tally) in batch.keys {
            for (day, events) in tally.events where !events.isEmpty {
                let known = Set(
                    try await db.sql.raw(
                        "SELECT event_id FROM api_key_usage_events WHERE key_id = \(bind: key) AND day = \(bind: day)"
                    ).all().map { try $0.decode(column: "event_id", as: UUID.self) })
                var room = UsageRecorder.eventsPerDay - known.count
                var untracked = 0
                for (event, requests) in events.sorted(by: { $0.value > $1.value }) {
                    if !known.contains(event) {
                        guard room > 0 else {
                            untracked += requests
                            continue
                        }
                        room -= 1
                    }
                    // Only for a key and an event that still exist (either may be gone by now).
                    try await db.sql.raw(
                        """
                        INSERT INTO api_key_usage_events (key_id, day, event_id, requests)
                        SELECT \(bind: key), \(bind: day), \(bind: event), \(bind: requests)
                        WHERE EXISTS (SELECT 1 FROM api_keys WHERE id = \(bind: key))
                          AND EXISTS (SELECT 1 FROM events WHERE id = \(bind: event))
                        ON CONFLICT (key_id, day, event_id)
                        DO UPDATE SET requests = api_key_usage_events.requests + excluded.requests
                        """
                    ).run()
                }
                if untracked > 0 {
                    try await db.sql.raw(
                        """
                        UPDATE api_key_usage_days SET events_untracked = events_untracked + \(bind: untracked)
                        WHERE key_id = \(bind: key) AND day = \(bind: day)
                        """
                    ).run()
                }
            }
        }
    }

    /// The events the key used on the days from `firstDay`, most used first; `many` when on some
    /// day it used more than could be counted by id.
    static func used(by key: UUID, since firstDay: Int, on db: any Database) async throws -> (
        events: [Used], many: Bool
    ) {
        let events = try await db.sql.raw(
            """
            SELECT event_id, CAST(SUM(requests) AS BIGINT) AS requests FROM api_key_usage_events
            WHERE key_id = \(bind: key) AND day >= \(bind: firstDay)
            GROUP BY event_id ORDER BY 2 DESC, event_id
            """
        ).all().map {
            Used(
                event: try $0.decode(column: "event_id", as: UUID.self),
                requests: try $0.decode(column: "requests", as: Int.self))
        }
        let untracked =
            try await db.sql.raw(
                """
                SELECT CAST(COALESCE(SUM(events_untracked), 0) AS BIGINT) AS n FROM api_key_usage_days
                WHERE key_id = \(bind: key) AND day >= \(bind: firstDay)
                """
            ).first()?.decode(column: "n", as: Int.self) ?? 0
        return (events, untracked > 0)
    }

    static func prune(before oldest: Int, on db: any Database) async throws {
        try await db.sql.raw("DELETE FROM api_key_usage_events WHERE day < \(bind: oldest)").run()
    }
}

/// The events a key used in the usage period, as its page lists them.
struct EventsUsedView: Encodable {
    struct Item: Encodable {
        let name, path: String
        /// "1 request", "3 requests".
        let requests: String
    }

    let events: [Item]
    let hasAny: Bool
    /// On some day it used more events than are counted by id.
    let many: Bool
    /// It reaches more events than it used, all of them known: Restrict can narrow it to those.
    let narrowable: Bool

    /// `reached`: how many events the key reaches (nil: all of the team's).
    init(_ used: [KeyEventUsage.Used], many: Bool, names: [UUID: String], reached: Int?) {
        // An event deleted since keeps no name: it is left out.
        events = used.compactMap { use in
            names[use.event].map {
                Item(
                    name: $0, path: SitePath.event(.value(use.event)).path,
                    requests: Plural.count(use.requests, "request"))
            }
        }
        hasAny = !events.isEmpty || many
        self.many = many
        narrowable =
            !many && !used.isEmpty && used.count <= EventScope.maximumEvents
            && (reached.map { used.count < $0 } ?? true)
    }
}
