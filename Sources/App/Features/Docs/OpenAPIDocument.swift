import Foundation

/// The parsed document: `$ref`s resolved, examples found or made from schemas.
struct OpenAPIDocument {
    let root: [String: Any]

    func resolve(_ object: [String: Any], depth: Int = 0) -> [String: Any] {
        guard depth < 10, let ref = object["$ref"] as? String, ref.hasPrefix("#/") else { return object }
        var node: Any? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            node =
                (node as? [String: Any])?[
                    String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return resolve(node as? [String: Any] ?? [:], depth: depth + 1)
    }

    /// "string (uuid)", "integer", "array of string"…
    func typeName(_ schema: [String: Any]) -> String {
        let schema = resolve(schema)
        if let type = schema["type"] as? String {
            if type == "array", let items = schema["items"] as? [String: Any] { return "array of " + typeName(items) }
            if let format = schema["format"] as? String { return "\(type) (\(format))" }
            if let values = schema["enum"] as? [Any] {
                return "\(type): " + values.map { "\($0)" }.joined(separator: ", ")
            }
            return type
        }
        if let types = schema["type"] as? [String] { return types.joined(separator: " or ") }
        if let alternatives = (schema["anyOf"] ?? schema["oneOf"]) as? [[String: Any]] {
            return alternatives.map(typeName).joined(separator: " or ")
        }
        return "any"
    }

    /// The first example of a request or response body: the media type's own, else its schema's.
    func mediaExample(_ content: [String: Any]?) -> Any? {
        guard let content, let media = (content["application/json"] ?? content.values.first) as? [String: Any] else {
            return nil
        }
        if let example = media["example"] { return example }
        if let examples = media["examples"] as? [String: Any], let first = examples.keys.sorted().first,
            let value = (resolve(examples[first] as? [String: Any] ?? [:]))["value"]
        {
            return value
        }
        return example(of: media["schema"] as? [String: Any] ?? [:])
    }

    func example(of raw: [String: Any], depth: Int = 0) -> Any? {
        let schema = resolve(raw)
        guard depth < 6 else { return nil }
        if let examples = schema["examples"] as? [Any], let first = examples.first { return first }
        if let example = schema["example"] { return example }
        if let value = schema["const"] { return value }
        if let values = schema["enum"] as? [Any], let first = values.first { return first }
        if let alternatives = (schema["anyOf"] ?? schema["oneOf"]) as? [[String: Any]] {
            for alternative in alternatives where (resolve(alternative)["type"] as? String) != "null" {
                if let value = example(of: alternative, depth: depth + 1) { return value }
            }
            return NSNull()
        }
        let types = (schema["type"] as? [String]) ?? []
        let type =
            (schema["type"] as? String) ?? types.first(where: { $0 != "null" })
            ?? (schema["properties"] != nil ? "object" : "")
        switch type {
        case "object":
            var object: [String: Any] = [:]
            for (name, property) in (schema["properties"] as? [String: Any]) ?? [:] {
                object[name] = example(of: property as? [String: Any] ?? [:], depth: depth + 1) ?? NSNull()
            }
            return object
        case "array":
            return [example(of: schema["items"] as? [String: Any] ?? [:], depth: depth + 1) ?? NSNull()]
        case "string":
            switch schema["format"] as? String {
            case "date-time": return "2026-05-01T16:00:00Z"
            case "uuid": return "01963a4e-8c2f-7d3a-9b1e-4f5a6b7c8d9e"
            case "date": return "2026-05-01"
            default: return "string"
            }
        case "integer": return (schema["minimum"] as? Int) ?? 0
        case "number": return 0
        case "boolean": return true
        default: return nil
        }
    }
}
