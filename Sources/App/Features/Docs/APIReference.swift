import Foundation

/// `openapi.json` as the API reference page shows it: operations grouped by tag, with their
/// parameters, a request example, and each response's meaning and example body. Built once, when
/// the routes are registered; a document it cannot read stops start-up.
struct APIReference: Encodable, Sendable {
    struct Parameter: Encodable, Sendable {
        let name, location, type: String
        let required: Bool
        let description: String
    }

    struct Answer: Encodable, Sendable {
        let status: String
        let description: String
        /// An example body (pretty JSON), when the answer has one.
        let example: String?
        /// Problem details: the Errors section explains the body.
        let isProblem: Bool
    }

    struct Operation: Encodable, Sendable {
        let id, link, method, path, summary, description: String
        let permission: String?
        let needsKey: Bool
        let parameters: [Parameter]
        let hasParameters: Bool
        let requestExample: String?
        let answers: [Answer]
    }

    struct Tag: Encodable, Sendable {
        let name, anchor, link, description: String
        let operations: [Operation]

        init(name: String, description: String, operations: [Operation]) {
            (self.name, self.description, self.operations) = (name, description, operations)
            anchor = APIReference.anchor("tag", name)
            link = "#" + anchor
        }
    }

    struct ErrorStatus: Encodable, Sendable {
        let status, title, description: String
    }

    let title, version, introduction, bearerDescription: String
    let tags: [Tag]
    let errors: [ErrorStatus]
    let problemFields: [Parameter]
    let problemExample: String
    /// Every operation as `METHOD path`, in the document's order.
    let operationKeys: [String]

    enum ReadError: Error, CustomStringConvertible {
        case unreadable(String)
        var description: String {
            switch self { case .unreadable(let what): "openapi.json cannot be shown as the API reference: \(what)" }
        }
    }

    static let methods = ["get", "put", "post", "patch", "delete", "head", "options"]

    init(data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let info = root["info"] as? [String: Any], let paths = root["paths"] as? [String: Any]
        else { throw ReadError.unreadable("no info or paths") }
        let document = Document(root: root)
        title = info["title"] as? String ?? "API reference"
        version = info["version"] as? String ?? ""
        introduction = Markdown.html(info["description"] as? String ?? "")
        let schemes = (root["components"] as? [String: Any])?["securitySchemes"] as? [String: Any]
        bearerDescription = Markdown.html(((schemes?["bearerAuth"] as? [String: Any])?["description"] as? String) ?? "")
        let globalSecurity = !((root["security"] as? [Any]) ?? []).isEmpty

        var byTag: [String: [Operation]] = [:]
        var keys: [String] = []
        // Paths in the document's order: JSONSerialization keeps none, so sort them as the file does.
        for path in Self.pathOrder(data: data, paths: paths) {
            guard let item = paths[path] as? [String: Any] else { continue }
            let shared = (item["parameters"] as? [Any]) ?? []
            for method in Self.methods {
                guard let operation = item[method] as? [String: Any] else { continue }
                keys.append("\(method.uppercased()) \(path)")
                let tag = (operation["tags"] as? [String])?.first ?? "Other"
                byTag[tag, default: []].append(Self.operation(operation, method: method, path: path, shared: shared,
                                                              globalSecurity: globalSecurity, document: document))
            }
        }
        let declared = (root["tags"] as? [[String: Any]]) ?? []
        var tags = declared.compactMap { tag -> Tag? in
            guard let name = tag["name"] as? String, let operations = byTag.removeValue(forKey: name) else { return nil }
            return Tag(name: name, description: Markdown.html(tag["description"] as? String ?? ""), operations: operations)
        }
        tags += byTag.keys.sorted().map { Tag(name: $0, description: "", operations: byTag[$0]!) }
        self.tags = tags
        operationKeys = keys

        let responses = ((root["components"] as? [String: Any])?["responses"] as? [String: Any]) ?? [:]
        errors = responses.compactMap { name, value -> (Int, ErrorStatus)? in
            guard let response = value as? [String: Any], let code = Self.errorCodes[name] else { return nil }
            return (code, ErrorStatus(status: String(code), title: Self.titles[code] ?? name, description: Markdown.html(response["description"] as? String ?? "")))
        }.sorted { $0.0 < $1.0 }.map(\.1)
        let problem = document.resolve(["$ref": "#/components/schemas/Problem"])
        let required = Set((problem["required"] as? [String]) ?? [])
        problemFields = ((problem["properties"] as? [String: Any]) ?? [:]).keys.sorted { a, b in
            (Self.problemOrder.firstIndex(of: a) ?? 99) < (Self.problemOrder.firstIndex(of: b) ?? 99)
        }.map { name in
            let property = document.resolve((problem["properties"] as! [String: Any])[name] as? [String: Any] ?? [:])
            return Parameter(name: name, location: "", type: document.typeName(property), required: required.contains(name),
                             description: Markdown.html(property["description"] as? String ?? ""))
        }
        problemExample = document.example(of: problem).flatMap(Self.pretty) ?? "{}"
    }

    private static let problemOrder = ["type", "title", "status", "detail", "field", "errors"]
    private static let errorCodes = [
        "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "Conflict": 409, "PayloadTooLarge": 413,
        "UnsupportedMediaType": 415, "UnprocessableEntity": 422, "TooManyRequests": 429,
    ]
    static let titles = [
        200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
        404: "Not Found", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type", 422: "Unprocessable Content",
        429: "Too Many Requests", 503: "Service Unavailable",
    ]

    private static func operation(
        _ operation: [String: Any], method: String, path: String, shared: [Any], globalSecurity: Bool, document: Document
    ) -> Operation {
        let parameters = (shared + ((operation["parameters"] as? [Any]) ?? [])).compactMap { raw -> Parameter? in
            guard let object = raw as? [String: Any] else { return nil }
            let parameter = document.resolve(object)
            guard let name = parameter["name"] as? String else { return nil }
            let schema = document.resolve(parameter["schema"] as? [String: Any] ?? [:])
            return Parameter(
                name: name, location: parameter["in"] as? String ?? "", type: document.typeName(schema),
                required: parameter["required"] as? Bool ?? false, description: Markdown.html(parameter["description"] as? String ?? ""))
        }
        var requestExample: String?
        if let body = operation["requestBody"] as? [String: Any] {
            requestExample = document.mediaExample(document.resolve(body)["content"] as? [String: Any]).flatMap(pretty)
        }
        let responses = (operation["responses"] as? [String: Any]) ?? [:]
        let answers = responses.keys.sorted().map { status -> Answer in
            let response = document.resolve(responses[status] as? [String: Any] ?? [:])
            let content = response["content"] as? [String: Any]
            let isProblem = content?.keys.contains { $0.contains("problem+json") } ?? false
            return Answer(
                status: status, description: Markdown.html(response["description"] as? String ?? ""),
                example: isProblem ? nil : document.mediaExample(content).flatMap(pretty), isProblem: isProblem)
        }
        let security = operation["security"] as? [Any]
        let id = operation["operationId"] as? String ?? anchor(method, path)
        return Operation(
            id: id, link: "#" + id, method: method.uppercased(), path: path,
            summary: operation["summary"] as? String ?? "", description: Markdown.html(operation["description"] as? String ?? ""),
            permission: operation["x-permission"] as? String, needsKey: security.map { !$0.isEmpty } ?? globalSecurity,
            parameters: parameters, hasParameters: !parameters.isEmpty, requestExample: requestExample, answers: answers)
    }

    /// The paths in the order the file lists them.
    private static func pathOrder(data: Data, paths: [String: Any]) -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        return paths.keys.sorted { a, b in
            (text.range(of: "\"\(a)\":")?.lowerBound ?? text.endIndex) < (text.range(of: "\"\(b)\":")?.lowerBound ?? text.endIndex)
        }
    }

    static func anchor(_ prefix: String, _ text: String) -> String {
        prefix + "-" + text.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
    }

    static func pretty(_ value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber else { return nil }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The parsed document: `$ref`s resolved, examples found or made from schemas.
private struct Document {
    let root: [String: Any]

    func resolve(_ object: [String: Any], depth: Int = 0) -> [String: Any] {
        guard depth < 10, let ref = object["$ref"] as? String, ref.hasPrefix("#/") else { return object }
        var node: Any? = root
        for part in ref.dropFirst(2).split(separator: "/") {
            node = (node as? [String: Any])?[String(part).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")]
        }
        return resolve(node as? [String: Any] ?? [:], depth: depth + 1)
    }

    /// "string (uuid)", "integer", "array of string"…
    func typeName(_ schema: [String: Any]) -> String {
        let schema = resolve(schema)
        if let type = schema["type"] as? String {
            if type == "array", let items = schema["items"] as? [String: Any] { return "array of " + typeName(items) }
            if let format = schema["format"] as? String { return "\(type) (\(format))" }
            if let values = schema["enum"] as? [Any] { return "\(type): " + values.map { "\($0)" }.joined(separator: ", ") }
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
        guard let content, let media = (content["application/json"] ?? content.values.first) as? [String: Any] else { return nil }
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
        let type = (schema["type"] as? String) ?? types.first(where: { $0 != "null" }) ?? (schema["properties"] != nil ? "object" : "")
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

/// The little Markdown the document's descriptions use: paragraphs, `code` and **bold**,
/// everything else escaped.
enum Markdown {
    static func html(_ text: String) -> String {
        text.components(separatedBy: "\n\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }.map { paragraph in
            "<p>" + inline(paragraph) + "</p>"
        }.joined(separator: "\n")
    }

    static func inline(_ text: String) -> String {
        var html = ""
        var code = false, bold = false
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "`" {
                html += code ? "</code>" : "<code>"
                code.toggle()
            } else if !code, character == "*", text[index...].hasPrefix("**") {
                html += bold ? "</strong>" : "<strong>"
                bold.toggle()
                index = text.index(after: index)
            } else {
                html += escape(character)
            }
            index = text.index(after: index)
        }
        if code { html += "</code>" }
        if bold { html += "</strong>" }
        return html
    }

    static func escape(_ character: Character) -> String {
        switch character {
        case "&": "&amp;"
        case "<": "&lt;"
        case ">": "&gt;"
        case "\"": "&quot;"
        case "'": "&#39;"
        default: String(character)
        }
    }
}
