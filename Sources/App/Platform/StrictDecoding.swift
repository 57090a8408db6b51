import Foundation

/// A coding key for any name, used to list the keys a JSON object really has.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int? = nil
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Refuses fields the API does not know, so a typo (`start_at`) is an error, not a silent no-op.
    func rejectUnknownKeys(allowed: Set<String>) throws {
        let container = try container(keyedBy: AnyCodingKey.self)
        if let unknown = container.allKeys.map(\.stringValue).sorted().first(where: { !allowed.contains($0) }) {
            throw APIError.badRequest(
                "Unknown field '\(unknown)'. Allowed fields: \(allowed.sorted().joined(separator: ", ")).",
                field: unknown)
        }
    }
}

extension Decoder {
    /// The container of a request body whose fields are exactly `Key`'s cases: any other field
    /// is refused (400) before a value is read.
    func strictContainer<Key: CodingKey & CaseIterable>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try rejectUnknownKeys(allowed: Set(Key.allCases.map(\.stringValue)))
        return try container(keyedBy: type)
    }

    /// The same, refusing a body that lacks any of `required` (or has it null) with one 400
    /// naming every missing field, each in the problem's `errors`: a client fixes them all in
    /// one go instead of learning of one per request.
    func strictContainer<Key: CodingKey & CaseIterable>(keyedBy type: Key.Type, requiring required: [Key]) throws
        -> KeyedDecodingContainer<Key>
    {
        let container = try strictContainer(keyedBy: type)
        let missing = try required.filter { try !container.contains($0) || container.decodeNil(forKey: $0) }.map(
            \.stringValue)
        guard !missing.isEmpty else { return container }
        let quoted = missing.map { "'\($0)'" }
        let named =
            quoted.count == 1
            ? "the field \(quoted[0]) is"
            : "the fields \(quoted.dropLast().joined(separator: ", ")) and \(quoted.last!) are"
        throw APIError(
            status: .badRequest, detail: "The request could not be read: \(named) required.",
            problems: missing.map { FieldProblem(field: $0, message: "the field '\($0)' is required.") })
    }
}

extension KeyedDecodingContainer {
    /// For PATCH: nil when the key is absent, `.some(nil)` when it is JSON null.
    func decodePatch<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T?? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { return .some(nil) }
        return .some(try decode(T.self, forKey: key))
    }

    /// For PATCH of a field that may not be null: absent is nil, null is an error.
    func decodePatchRequired<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DomainError.invalid([
                FieldProblem(field: key.stringValue, message: "\(key.stringValue) cannot be null.")
            ])
        }
        return try decode(T.self, forKey: key)
    }

    /// An enum field whose bad value is a 422 naming the allowed values, not a type error.
    func decodeEnum<T: RawRepresentable>(_ type: T.Type, forKey key: Key, message: String) throws -> T?
    where T.RawValue == String {
        guard let raw = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = T(rawValue: raw) else {
            throw DomainError.invalid([FieldProblem(field: key.stringValue, message: message)])
        }
        return value
    }

    /// For PATCH of an enum field: absent is nil, null is an error, a bad value a 422.
    func decodePatchEnum<T: RawRepresentable>(_ type: T.Type, forKey key: Key, message: String) throws -> T?
    where T.RawValue == String {
        guard contains(key) else { return nil }
        guard let value = try decodeEnum(T.self, forKey: key, message: message) else {
            throw DomainError.invalid([
                FieldProblem(field: key.stringValue, message: "\(key.stringValue) cannot be null.")
            ])
        }
        return value
    }
}
