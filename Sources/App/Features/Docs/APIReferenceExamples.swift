import Foundation

/// What each operation of the reference shows beyond the document's words: a curl command to
/// copy and a table of the request body's fields, both made from `openapi.json`.
extension APIReference {
    /// One field of a request body: its type, whether it must be sent, and its rules in words.
    struct BodyField: Encodable, Sendable {
        let name, type: String
        let required: Bool
        /// "1–200 characters", "0 to 1000000", "null allowed" (the allowed values are in `type`)
        let rules: String
        /// HTML, from the field's description (or its schema's).
        let description: String
    }

    /// Stands for this server's address in the cached rendering; each request puts its own in
    /// (`PublicURL`). Only characters HTML leaves alone, so it survives Leaf's escaping.
    static let baseSentinel = "https://kagibag-public-url.invalid"

    /// `curl` for the operation: the server's address, a placeholder for the key and for each
    /// path parameter (`{event_id}` → `EVENT_ID`), required headers, and the example body.
    static func curl(
        method: String, path: String, needsKey: Bool, requiredHeaders: [String], body: Any?
    ) -> String {
        let url = path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}")
                ? segment.dropFirst().dropLast().uppercased() : String(segment)
        }.joined(separator: "/")
        var lines = ["curl" + (method == "GET" ? "" : " -X \(method)") + " \"\(baseSentinel)\(url)\""]
        if needsKey { lines.append("-H \"Authorization: Bearer \(ExampleRequest.placeholder)\"") }
        for header in requiredHeaders {
            lines.append("-H \"\(header): \(header.uppercased().replacingOccurrences(of: "-", with: "_"))\"")
        }
        lines.append("-H \"Accept: application/json\"")
        if let body, let json = pretty(body) {
            lines.append("-H \"Content-Type: application/json\"")
            lines.append("-d '\(json.replacingOccurrences(of: "'", with: "'\\''"))'")
        }
        return lines.joined(separator: " \\\n     ")
    }

    /// The fields of a JSON object body, required ones first, each as the document has them.
    static func bodyFields(_ schema: [String: Any], document: OpenAPIDocument) -> [BodyField] {
        let object = document.resolve(schema)
        guard let properties = object["properties"] as? [String: Any] else { return [] }
        let required = Set((object["required"] as? [String]) ?? [])
        return properties.keys.sorted { a, b in
            if required.contains(a) != required.contains(b) { return required.contains(a) }
            return (propertyOrder.firstIndex(of: a) ?? .max, a) < (propertyOrder.firstIndex(of: b) ?? .max, b)
        }.map { name in
            let raw = properties[name] as? [String: Any] ?? [:]
            let property = document.resolve(raw)
            let alternatives = ((property["anyOf"] ?? property["oneOf"]) as? [[String: Any]])?.map {
                document.resolve($0)
            }
            let nullable = alternatives?.contains { $0["type"] as? String == "null" } ?? false
            let core = alternatives?.first { $0["type"] as? String != "null" } ?? property
            var rules = Self.rules(core)
            if nullable { rules.append("null allowed") }
            let words = (raw["description"] as? String).map { [$0] } ?? []
            let description = (words + [(core["description"] as? String) ?? ""]).filter { !$0.isEmpty }
                .joined(separator: " ")
            return BodyField(
                name: name, type: document.typeName(core), required: required.contains(name),
                rules: rules.joined(separator: "; "), description: Markdown.html(description))
        }
    }

    /// Optional fields in the order a request usually has them; others after, by name.
    private static let propertyOrder = [
        "name", "email", "code", "starts_at", "ends_at", "timezone", "venue", "capacity", "status",
    ]

    private static func rules(_ schema: [String: Any]) -> [String] {
        var rules: [String] = []
        switch (schema["minLength"] as? Int, schema["maxLength"] as? Int) {
        case (let low?, let high?): rules.append("\(low)–\(high) characters")
        case (nil, let high?): rules.append("at most \(high) characters")
        case (let low?, nil): rules.append("at least \(low) characters")
        default: break
        }
        switch (schema["minimum"] as? Int, schema["maximum"] as? Int) {
        case (let low?, let high?): rules.append("\(low) to \(high)")
        case (nil, let high?): rules.append("at most \(high)")
        case (let low?, nil): rules.append("at least \(low)")
        default: break
        }
        // Names are trimmed before their length is counted, which maxLength cannot say.
        if let trimmed = schema["x-trimmed-length"] as? [String: Any] {
            switch (trimmed["minimum"] as? Int, trimmed["maximum"] as? Int) {
            case (let low?, let high?): rules.append("\(low)–\(high) characters once trimmed")
            case (nil, let high?): rules.append("at most \(high) characters once trimmed")
            default: break
            }
        }
        if let items = schema["maxItems"] as? Int { rules.append("at most \(items) items") }
        return rules
    }
}
