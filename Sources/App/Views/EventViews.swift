import Foundation

/// An event as the web pages show it: times in the event's own time zone.
struct EventView: Encodable {
    let id: String
    let name: String
    let description: String
    let hasDescription: Bool
    let startsLocal: String
    let endsLocal: String
    let startsInput: String
    let endsInput: String
    let timezone: String
    let venue: String?
    let capacity: Int?
    let status: String
    let statusLabel: String
    let taken: Int
    let isCancelled: Bool
    let path: String

    init(_ event: Event) {
        id = event.id!.uuidString.lowercased()
        name = event.name
        description = event.description
        hasDescription = !event.description.isEmpty
        let zone = TimeZone(identifier: event.timezone) ?? TimeZone(identifier: "UTC")!
        startsLocal = LocalTime.display(event.startsAt, in: zone)
        endsLocal = LocalTime.display(event.endsAt, in: zone)
        startsInput = LocalTime.input(event.startsAt, in: zone)
        endsInput = LocalTime.input(event.endsAt, in: zone)
        timezone = event.timezone
        venue = event.venue
        capacity = event.capacity
        status = event.status.rawValue
        statusLabel = event.status.rawValue.capitalized
        taken = event.activeAttendees
        isCancelled = event.status == .cancelled
        path = "/admin/events/\(id)"
    }
}

struct AttendeeView: Encodable {
    let id: String
    let name: String
    let email: String
    let ticketType: String
    let status: String
    let statusLabel: String
    let isCancelled: Bool
    let cancelPath: String

    init(_ attendee: Attendee, eventPath: String) {
        id = attendee.id!.uuidString.lowercased()
        name = attendee.name
        email = attendee.email
        ticketType = attendee.ticketType
        status = attendee.status.rawValue
        statusLabel = attendee.status == .checkedIn ? "Checked in" : attendee.status.rawValue.capitalized
        isCancelled = attendee.status == .cancelled
        cancelPath = "\(eventPath)/attendees/\(id)/cancel"
    }
}

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
        guard let year = components.year, (1900...9999).contains(year), let month = components.month, (1...12).contains(month),
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
