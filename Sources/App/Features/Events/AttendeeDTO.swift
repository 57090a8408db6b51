import Foundation
import Vapor

struct AttendeeDTO: Content {
    let id, eventId, name, ticketType, status: String
    /// Absent for a key that may only check attendees in: a door needs no contact data, and
    /// the codes are what gets people in (the door scans them; it never needs to read them).
    let email, ticketCode: String?
    let checkedInAt: Date?
    let createdAt, updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, name, email, status
        case eventId = "event_id", ticketType = "ticket_type", ticketCode = "ticket_code"
        case checkedInAt = "checked_in_at", createdAt = "created_at", updatedAt = "updated_at"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(eventId, forKey: .eventId)
        try container.encode(name, forKey: .name)
        try container.encodeIfPresent(email, forKey: .email)
        try container.encode(ticketType, forKey: .ticketType)
        try container.encodeIfPresent(ticketCode, forKey: .ticketCode)
        try container.encode(status, forKey: .status)
        try container.encode(checkedInAt, forKey: .checkedInAt)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
    }
}

extension Attendee {
    /// The attendee's entity tag in the form a key reads it: a key without `attendees:read` sees
    /// another representation (no email, no ticket code), so its tags differ.
    func entityTag(withPrivate: Bool = true) -> String {
        Self.entityTag(version: version, withPrivate: withPrivate)
    }

    static func entityTag(version: Int, withPrivate: Bool) -> String {
        EntityTag.version(version, variant: withPrivate ? nil : "limited")
    }

    /// `private`: with email and ticket code, for keys that may read attendees in full.
    func toDTO(withPrivate: Bool = true) -> AttendeeDTO {
        let created = createdAt ?? Date()
        return AttendeeDTO(
            id: id!.lowercasedString, eventId: eventID.lowercasedString, name: name, ticketType: ticketType,
            status: status.rawValue, email: withPrivate ? email : nil, ticketCode: withPrivate ? ticketCode : nil,
            checkedInAt: checkedInAt, createdAt: created, updatedAt: updatedAt ?? created
        )
    }
}

/// `POST /events/{id}/attendees`.
struct CreateAttendeeRequest: Decodable {
    let name, email: String
    let ticketType: String?
    let status: AttendeeStatus?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, email, status
        case ticketType = "ticket_type"
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self, requiring: [.name, .email])
        name = try container.decode(String.self, forKey: .name)
        email = try container.decode(String.self, forKey: .email)
        ticketType = try container.decodeIfPresent(String.self, forKey: .ticketType)
        status = try container.decodeEnum(AttendeeStatus.self, forKey: .status, message: AttendeeDraft.statusMessage)
    }

    func draft() throws -> AttendeeDraft {
        try AttendeeDraft(name: name, email: email, ticketType: ticketType, status: status ?? .registered)
    }
}

/// `PATCH /events/{id}/attendees/{attendee_id}`.
struct UpdateAttendeeRequest: Decodable {
    var name: String?
    var email: String?
    var ticketType: String?
    var status: AttendeeStatus?

    typealias CodingKeys = CreateAttendeeRequest.CodingKeys

    init(from decoder: any Decoder) throws {
        let container = try decoder.strictContainer(keyedBy: CodingKeys.self)
        name = try container.decodePatchRequired(String.self, forKey: .name)
        email = try container.decodePatchRequired(String.self, forKey: .email)
        ticketType = try container.decodePatchRequired(String.self, forKey: .ticketType)
        status = try container.decodePatchEnum(
            AttendeeStatus.self, forKey: .status, message: AttendeeDraft.statusMessage)
    }

    func applied(to attendee: Attendee) throws -> AttendeeDraft {
        try AttendeeDraft(
            name: name ?? attendee.name, email: email ?? attendee.email, ticketType: ticketType ?? attendee.ticketType,
            status: status ?? attendee.status)
    }
}
