import Fluent
import Vapor

enum AttendeeStatus: String, Codable, CaseIterable, Sendable {
    case registered
    case cancelled
    case checkedIn = "checked_in"

    /// Whether the attendee takes a place counted against the event's capacity.
    var holdsPlace: Bool { self != .cancelled }
}

/// A person registered for an event.
final class Attendee: Model, @unchecked Sendable {
    static let schema = "attendees"

    @ID(key: .id) var id: UUID?
    @Field(key: "event_id") var eventID: UUID
    @Field(key: "team_id") var teamID: UUID
    @Field(key: "name") var name: String
    @Field(key: "email") var email: String
    @Field(key: "ticket_type") var ticketType: String
    @Field(key: "status") var statusColumn: String
    /// Set at registration (`TicketCode`); unique per event.
    @OptionalField(key: "ticket_code") var ticketCode: String?
    /// When the attendee was checked in; nil unless `status` is checked_in.
    @OptionalField(key: "checked_in_at") var checkedInAt: Date?
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?
    /// Raised by every change to what the API shows (M023): the attendee's `ETag`.
    @Field(key: "version") var version: Int

    init() {}

    init(
        id: UUID? = UUID.v7(), eventID: UUID, teamID: UUID, name: String, email: String, ticketType: String,
        status: AttendeeStatus
    ) {
        self.id = id
        self.eventID = eventID
        self.teamID = teamID
        self.name = name
        self.email = email
        self.ticketType = ticketType
        self.statusColumn = status.rawValue
        self.ticketCode = TicketCode.generate()
        self.checkedInAt = status == .checkedIn ? Date() : nil
        self.version = 1
    }

    var status: AttendeeStatus {
        get { AttendeeStatus(rawValue: statusColumn) ?? .registered }
        set { statusColumn = newValue.rawValue }
    }
}
