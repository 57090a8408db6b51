/// Where an event is in its life: a draft only its team sees, published, or cancelled.
enum EventStatus: String, Codable, CaseIterable, Sendable {
    case draft, published, cancelled
}
