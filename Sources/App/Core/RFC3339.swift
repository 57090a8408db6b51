import Foundation

/// RFC 3339 date-times, with or without fractional seconds; a time zone offset is required.
enum RFC3339 {
    private static let plain = Date.ISO8601FormatStyle()
    private static let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func parse(_ text: String) -> Date? {
        guard text.count <= 40 else { return nil }
        return (try? fractional.parse(text)) ?? (try? plain.parse(text))
    }

    /// UTC, with fractional seconds when there are any: `2026-05-01T09:00:00.123Z`.
    static func format(_ date: Date) -> String {
        fractional.format(date)
    }

    static let hint = "an RFC 3339 date-time with a time zone, like 2026-05-01T09:00:00Z"
}
