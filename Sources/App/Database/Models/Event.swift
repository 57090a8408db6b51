import Fluent
import Vapor

enum EventStatus: String, Codable, CaseIterable, Sendable {
    case draft, published, cancelled
}

/// An event a team organizes.
final class Event: Model, @unchecked Sendable {
    static let schema = "events"

    @ID(key: .id) var id: UUID?
    @Parent(key: "team_id") var team: Team
    @Field(key: "name") var name: String
    @Field(key: "description") var description: String
    @Field(key: "starts_at") var startsAt: Date
    @Field(key: "ends_at") var endsAt: Date
    @Field(key: "timezone") var timezone: String
    @OptionalField(key: "venue") var venue: String?
    @OptionalField(key: "capacity") var capacity: Int?
    @Field(key: "status") var statusColumn: String
    @Field(key: "active_attendees") var activeAttendees: Int
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}

    init(
        id: UUID? = UUID.v7(), teamID: UUID, name: String, description: String = "", startsAt: Date, endsAt: Date,
        timezone: String, venue: String? = nil, capacity: Int? = nil, status: EventStatus = .draft
    ) {
        self.id = id
        self.$team.id = teamID
        self.name = name
        self.description = description
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.timezone = timezone
        self.venue = venue
        self.capacity = capacity
        self.statusColumn = status.rawValue
        self.activeAttendees = 0
    }

    var status: EventStatus {
        get { EventStatus(rawValue: statusColumn) ?? .draft }
        set { statusColumn = newValue.rawValue }
    }
}
