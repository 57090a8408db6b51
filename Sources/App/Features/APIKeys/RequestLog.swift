import Fluent
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import Vapor

/// Each key's recent requests, gathered in memory and written in batches with the usage flush:
/// like `UsageRecorder`, no request writes to the database.
///
/// What a request leaves here is what its client already knows about it: when, the method,
/// route and path (never the query or a header but the User-Agent), the status and latency, the
/// address, the request id and, for a refusal, the problem's title and detail. Never the key,
/// a digest, the Authorization header or a body.
///
/// Memory is bounded whatever the traffic: at most `perKey` entries per key wait for the next
/// flush (a busier key's oldest make room), and once `pendingLimit` entries wait in all, a key
/// that already has some replaces its oldest instead of adding one.
final class RequestLog: Sendable {
    struct Entry: Sendable, Equatable {
        /// UUIDv7, so that ids sort by time (newest first is `id` descending).
        let id: UUID
        let key: UUID
        let at: Date
        let method: String
        /// The route as registered (`/api/v1/organizer/events/:event`), or the path when none matched.
        let route: String
        let path: String
        let status: Int
        let latencyMilliseconds: Double
        let address: String
        let userAgent: String?
        let requestID: String
        let problemTitle: String?
        let problemDetail: String?

        var failed: Bool { status >= 400 }
    }

    /// Which entries a list shows.
    enum StatusFilter: Sendable, Equatable {
        case failures
        /// 2xx, 3xx, 4xx or 5xx: the first digit.
        case statusClass(Int)
        case exactly(Int)

        /// `failures`, `2xx` … `5xx` or a status code; nil for anything else.
        init?(_ text: String) {
            switch text.lowercased() {
            case "failures": self = .failures
            case "2xx", "3xx", "4xx", "5xx": self = .statusClass(Int(String(text.prefix(1)))!)
            default:
                guard text.utf8.count == 3, let code = Int(text), (100...599).contains(code) else { return nil }
                self = .exactly(code)
            }
        }

        var text: String {
            switch self {
            case .failures: "failures"
            case .statusClass(let digit): "\(digit)xx"
            case .exactly(let code): String(code)
            }
        }

        func admits(_ status: Int) -> Bool {
            switch self {
            case .failures: status >= 400
            case .statusClass(let digit): status / 100 == digit
            case .exactly(let code): status == code
            }
        }

        /// The range of statuses it admits (for SQL).
        var range: ClosedRange<Int> {
            switch self {
            case .failures: 400...599
            case .statusClass(let digit): (digit * 100)...(digit * 100 + 99)
            case .exactly(let code): code...code
            }
        }
    }

    /// Kept per key, in memory and in the database.
    static let perKey = 200
    /// Kept per team in the database (a team with many busy keys).
    static let perTeam = 20_000
    /// Waiting in memory for the next flush, all keys together (about 10 MB at most).
    static let pendingLimit = 20_000
    static let retentionDays = 7
    static let maximumPath = 500
    static let maximumDetail = 1_000

    private struct Pending {
        /// Per key, oldest first: a ring, so that making room is O(1), changed in place under the
        /// lock (copying a key's 200 entries out and back on every request serialised the
        /// requests on this lock: the list ran at 0.39× of the log turned off).
        var entries: [UUID: CircularBuffer<Entry>] = [:]
        var count = 0
        /// Made room for newer ones since the last flush (reported to the metrics by the flush).
        var dropped = 0
        /// The batch being written: still read from here until its write commits, so that a page
        /// read during the flush finds each request in memory or in the database, never in neither.
        var writing: [UUID: CircularBuffer<Entry>] = [:]
    }

    private let pending = NIOLockedValueBox(Pending())
    /// False when an operator turned the log off (`KAGIBAG_REQUEST_LOG=off`): nothing is kept.
    let isOn: Bool
    let metrics: Metrics?

    init(isOn: Bool = true, metrics: Metrics? = nil) {
        self.isOn = isOn
        self.metrics = metrics
    }

    func record(_ entry: Entry) {
        guard isOn else { return }
        pending.withLockedValue { pending in
            let waiting = pending.entries[entry.key]?.count ?? 0
            if waiting >= Self.perKey || (pending.count >= Self.pendingLimit && waiting > 0) {
                pending.entries[entry.key]!.removeFirst()
                pending.count -= 1
                pending.dropped += 1
            }
            pending.entries[entry.key, default: CircularBuffer(initialCapacity: 8)].append(entry)
            pending.count += 1
        }
    }

    /// What waits for the next flush for `key`, oldest first (so that a page shows a request
    /// the moment it is answered, on the instance that answered it).
    func pending(for key: UUID) -> [Entry] {
        pending.withLockedValue { pending in
            var entries: [Entry] = []
            if let writing = pending.writing[key] { entries += writing }
            if let waiting = pending.entries[key] { entries += waiting }
            return entries
        }
    }

    /// The waiting entry that answered with `requestID`, of any key.
    func pending(requestID: String) -> Entry? {
        pending.withLockedValue { pending in
            (Array(pending.entries.values) + Array(pending.writing.values)).lazy.compactMap {
                $0.last(where: { $0.requestID == requestID })
            }.first
        }
    }

    /// Writes what waits; returns how many entries. A failed write puts them back for the next
    /// flush (still within the bounds).
    @discardableResult
    func flush(on database: any Database) async throws -> Int {
        let (batch, dropped) = pending.withLockedValue { pending in
            defer { pending = Pending(writing: pending.entries) }
            return (pending.entries.mapValues(Array.init), pending.dropped)
        }
        metrics?.requestLogDropped(dropped)
        guard !batch.isEmpty else { return 0 }
        do {
            try await RequestLogStore.write(batch, on: database)
            pending.withLockedValue { $0.writing = [:] }
        } catch {
            pending.withLockedValue { $0.writing = [:] }
            for entry in batch.values.joined().sorted(by: { $0.id < $1.id }) { record(entry) }
            throw error
        }
        let count = batch.values.reduce(0) { $0 + $1.count }
        metrics?.query(.write, "request_log", count: count)
        return count
    }
}

extension RequestLog.Entry {
    /// The entry for a request answered with `status` (and, for a refusal, `problem`).
    init(
        key: UUID, request: Request, at: Date, latency: Duration, status: UInt, address: String, userAgent: String?,
        problem: (title: String, detail: String)?
    ) {
        id = UUID.v7()
        self.key = key
        self.at = at
        method = request.method.rawValue
        let path = UsageRecorder.prefix(request.url.path, utf8Bytes: RequestLog.maximumPath)
        route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? path
        self.path = path
        self.status = Int(status)
        latencyMilliseconds = latency.milliseconds
        self.address = address
        self.userAgent = userAgent.map { UsageRecorder.prefix($0, utf8Bytes: UsageRecorder.maximumUserAgent) }
        requestID = request.requestID ?? request.id
        problemTitle = problem?.title
        problemDetail = problem.map { UsageRecorder.prefix($0.detail, utf8Bytes: RequestLog.maximumDetail) }
    }
}

extension Application {
    /// Keys' recent requests waiting to be written (set by `configure`).
    var requestLog: RequestLog {
        get { feature(RequestLog.self) }
        set { storage[FeatureService<RequestLog>.self] = newValue }
    }
}
