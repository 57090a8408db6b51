import Foundation

/// "3 minutes ago" for people, the exact UTC time for the tooltip and `datetime`.
struct TimeView: Encodable {
    let iso: String
    let relative: String
    let exact: String

    init(_ date: Date, now: Date = Date()) {
        iso = date.formatted(.iso8601)
        exact = Self.exactFormat.format(date)
        relative = Self.relative(from: date, to: now)
    }

    private static let exactFormat = Date.VerbatimFormatStyle(
        format:
            "\(year: .defaultDigits)-\(month: .twoDigits)-\(day: .twoDigits) \(hour: .twoDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits):\(second: .twoDigits) UTC",
        timeZone: TimeZone(identifier: "UTC")!,
        calendar: Calendar(identifier: .gregorian)
    )

    static func relative(from date: Date, to now: Date) -> String {
        if date.timeIntervalSince(now) >= 45 { return future(seconds: Int(date.timeIntervalSince(now))) }
        let seconds = Int(now.timeIntervalSince(date))
        func plural(_ value: Int, _ unit: String) -> String { "\(value) \(unit)\(value == 1 ? "" : "s") ago" }
        switch seconds {
        case ..<45: return "just now"
        case ..<(60 * 60): return plural(max(1, (seconds + 30) / 60), "minute")
        case ..<(60 * 60 * 24): return plural(seconds / 3600, "hour")
        case ..<(60 * 60 * 24 * 30): return plural(seconds / 86400, "day")
        case ..<(60 * 60 * 24 * 365): return plural(seconds / (86400 * 30), "month")
        default: return plural(seconds / (86400 * 365), "year")
        }
    }

    private static func future(seconds: Int) -> String {
        func plural(_ value: Int, _ unit: String) -> String { "in \(value) \(unit)\(value == 1 ? "" : "s")" }
        switch seconds {
        case ..<(60 * 60): return plural(max(1, (seconds + 30) / 60), "minute")
        case ..<(60 * 60 * 24): return plural(seconds / 3600, "hour")
        case ..<(60 * 60 * 24 * 400): return plural((seconds + 43_200) / 86400, "day")
        default: return plural(seconds / (86400 * 365), "year")
        }
    }
}
