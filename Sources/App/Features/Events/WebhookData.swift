import Foundation

/// What webhook messages about events and attendees carry as `data`: the objects as the API
/// shows them.
extension EventRecord {
    var webhookData: String {
        var json = JSONWriter(capacity: 512)
        EventDTO(self).write(to: &json)
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

extension Attendee {
    /// As a key with `attendees:read` sees it, without the ticket code (codes get people in; a
    /// receiver that needs one reads it through the API).
    var webhookData: String {
        get throws {
            let dto = toDTO(withPrivate: true)
            let shown = AttendeeDTO(
                id: dto.id, eventId: dto.eventId, name: dto.name, ticketType: dto.ticketType, status: dto.status,
                email: dto.email, ticketCode: nil, checkedInAt: dto.checkedInAt, createdAt: dto.createdAt,
                updatedAt: dto.updatedAt)
            return String(decoding: try webhookEncoder.encode(shown), as: UTF8.self)
        }
    }
}

private let webhookEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.dateEncodingStrategy = .custom { date, encoder in
        var container = encoder.singleValueContainer()
        try container.encode(RFC3339.format(date))
    }
    encoder.outputFormatting = [.withoutEscapingSlashes]
    return encoder
}()
