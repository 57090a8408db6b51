import Foundation

/// An event as the web pages show it: times in the event's own time zone.
struct EventView: Encodable {
    let id, name, description, timezone, status, statusLabel, path: String
    /// Wall-clock times in the event's zone, for reading and for `datetime-local` inputs.
    let startsLocal, endsLocal, startsInput, endsInput: String
    let hasDescription, isCancelled: Bool
    let venue: String?
    let capacity: Int?
    let taken: Int

    init(_ event: EventRecord) {
        id = event.id.lowercasedString
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
        path = SitePath.event(.value(event.id)).path
    }
}

struct AttendeeView: Encodable {
    let id, name, email, ticketType, ticketCode, status, statusLabel, cancelPath, checkInPath: String
    let isCancelled, isRegistered: Bool
    let checkedIn: TimeView?

    init(_ attendee: Attendee, event: UUID) {
        id = attendee.id!.lowercasedString
        name = attendee.name
        email = attendee.email
        ticketType = attendee.ticketType
        status = attendee.status.rawValue
        statusLabel = attendee.status == .checkedIn ? "Checked in" : attendee.status.rawValue.capitalized
        ticketCode = attendee.ticketCode ?? ""
        isCancelled = attendee.status == .cancelled
        isRegistered = attendee.status == .registered
        checkedIn = attendee.checkedInAt.map { TimeView($0) }
        cancelPath = SitePath.attendeeCancel(event: .value(event), attendee: .value(attendee.id!)).path
        checkInPath = SitePath.attendeeCheckIn(event: .value(event), attendee: .value(attendee.id!)).path
    }
}
