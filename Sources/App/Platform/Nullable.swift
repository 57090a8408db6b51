/// An optional that is written as JSON `null` when absent, so that clients see every field of a
/// DTO (synthesized `Encodable` leaves nil fields out).
struct Nullable<Wrapped: Codable & Sendable>: Codable, Sendable {
    let value: Wrapped?

    init(_ value: Wrapped?) {
        self.value = value
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        value = container.decodeNil() ? nil : try container.decode(Wrapped.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}
