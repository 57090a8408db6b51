import Foundation

/// A key's usage as its page shows it: the last use, requests per day as a chart drawn on the
/// server (inline SVG, no script) with the same numbers in a table, recent addresses, and the
/// permissions it used against those it holds.
struct KeyUsageView: Encodable {
    struct Bar: Encodable {
        let x: Int
        let okY, okHeight, errorY, errorHeight, limitedY, limitedHeight: Double
        let label: String
    }

    struct Row: Encodable {
        let date: String
        let ok, clientErrors, rateLimited, serverErrors, total: Int
    }

    struct AddressRow: Encodable {
        let address: String
        let firstSeen, lastSeen: TimeView
    }

    struct PermissionRow: Encodable {
        let name: String
        let uses: Int
        let used: Bool
        /// "used 1 time", "used 12 times".
        let usedLabel: String

        init(name: String, uses: Int) {
            self.name = name
            self.uses = uses
            used = uses > 0
            usedLabel = "used " + Plural.count(uses, "time")
        }
    }

    let lastUsed: TimeView?
    let lastAddress, lastUserAgent: String?
    let bars: [Bar]
    let rows: [Row]
    let total: Int
    /// "1 request", "13 requests".
    let totalLabel: String
    let days: Int
    let chartWidth, chartHeight: Int
    let addresses: [AddressRow]
    let hasAddresses: Bool
    let permissions: [PermissionRow]
    /// Held but unused in the period, and the used ones, when restricting would narrow the key.
    let unused: String?
    let restrictPath: String
    /// "12 days" when the key is younger than the period.
    let observedFor: String?
    /// Younger than `minimumObservation`: no suggestion to take anything away yet (a weekly job
    /// would lose a permission it has simply not needed yet).
    let tooEarly: Bool
    let minimumDays = Self.minimumObservation

    static let period = 30
    /// How long a key is watched before the page suggests restricting it.
    static let minimumObservation = 7
    static let barWidth = 12
    static let chartHeightPoints = 100

    init(
        key: APIKey, effective: Set<Permission>, days: [APIKeyUsage.Day], addresses: [APIKeyUsage.Address],
        everUsed: Set<Permission> = [], now: Date = Date()
    ) {
        lastUsed = key.lastUsedAt.map { TimeView($0, now: now) }
        lastAddress = key.lastUsedAddress
        lastUserAgent = key.lastUsedUserAgent
        self.days = days.count
        chartWidth = days.count * Self.barWidth
        chartHeight = Self.chartHeightPoints
        let peak = Double(max(1, days.map(\.total).max() ?? 1))
        let scale = Double(Self.chartHeightPoints - 4) / peak
        bars = days.enumerated().map { index, day in
            let ok = Double(day.tally.ok) * scale
            let errors = Double(day.tally.clientErrors + day.tally.serverErrors) * scale
            let limited = Double(day.tally.rateLimited) * scale
            let bottom = Double(Self.chartHeightPoints)
            return Bar(
                x: index * Self.barWidth + 1, okY: bottom - ok, okHeight: ok, errorY: bottom - ok - errors,
                errorHeight: errors,
                limitedY: bottom - ok - errors - limited, limitedHeight: limited,
                label:
                    "\(Self.dateText(day.date)): \(day.tally.ok) 2xx, \(day.tally.clientErrors + day.tally.serverErrors) errors, \(day.tally.rateLimited) rate-limited"
            )
        }
        rows = days.reversed().map {
            Row(
                date: Self.dateText($0.date), ok: $0.tally.ok, clientErrors: $0.tally.clientErrors,
                rateLimited: $0.tally.rateLimited,
                serverErrors: $0.tally.serverErrors, total: $0.total)
        }
        total = days.map(\.total).reduce(0, +)
        totalLabel = Plural.count(total, "request")
        self.addresses = addresses.map {
            AddressRow(
                address: $0.address, firstSeen: TimeView($0.firstSeen, now: now),
                lastSeen: TimeView($0.lastSeen, now: now))
        }
        hasAddresses = !addresses.isEmpty
        let used = APIKeyUsage.permissionsUsed(in: days)
        permissions = effective.sorted().map { permission in
            let index = Permission.allCases.firstIndex(of: permission)!
            let uses = days.map { $0.tally.permissions[index] }.reduce(0, +)
            return PermissionRow(name: permission.rawValue, uses: uses)
        }
        // Never one it has used at any time since it was made: a yearly job keeps what it needs.
        let held = effective.subtracting(used).subtracting(everUsed)
        let age = Int(now.timeIntervalSince(key.createdAt ?? now) / 86400)
        tooEarly = age < Self.minimumObservation
        unused =
            !tooEarly && !held.isEmpty && !used.isEmpty ? held.sorted().map(\.rawValue).joined(separator: ", ") : nil
        restrictPath = SitePath.apiKeyRestrict(.value(key.id!)).path
        observedFor = age < Self.period ? (age == 0 ? "less than a day" : "\(age) day\(age == 1 ? "" : "s")") : nil
    }

    static func dateText(_ date: Date) -> String {
        String(RFC3339.format(date).prefix(10))
    }
}
