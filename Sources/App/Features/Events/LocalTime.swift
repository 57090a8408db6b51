import Foundation

/// Wall-clock times in a given zone, for `<input type="datetime-local">` and for reading.
enum LocalTime {
    static func input(_ date: Date, in zone: TimeZone) -> String {
        let c = calendar(zone).dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
    }

    static func display(_ date: Date, in zone: TimeZone) -> String {
        input(date, in: zone).replacingOccurrences(of: "T", with: " ")
    }

    /// Parses `2027-05-01T09:00` (seconds optional) as a wall-clock time in `zone`.
    static func parse(_ text: String, in zone: TimeZone) -> Date? {
        let parts = text.split(whereSeparator: { "-T:".contains($0) }).map { Int($0) }
        guard (5...6).contains(parts.count), !parts.contains(nil) else { return nil }
        var components = DateComponents()
        components.year = parts[0]; components.month = parts[1]; components.day = parts[2]
        components.hour = parts[3]; components.minute = parts[4]; components.second = parts.count == 6 ? parts[5] : 0
        guard let year = components.year, (1900...9999).contains(year), let month = components.month,
            (1...12).contains(month),
            let day = components.day, (1...31).contains(day), let hour = components.hour, (0...23).contains(hour),
            let minute = components.minute, (0...59).contains(minute)
        else { return nil }
        return calendar(zone).date(from: components)
    }

    private static func calendar(_ zone: TimeZone) -> Calendar {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        return calendar
    }
}
