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
        /// The command to copy (`baseSentinel` where the server's address goes).
        let curl: String
        let bodyFields: [BodyField]
        let hasBodyFields: Bool
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
            switch self {
            case .unreadable(let what): "openapi.json cannot be shown as the API reference: \(what)"
            }
        }
    }

    static let methods = ["get", "put", "post", "patch", "delete", "head", "options"]

    init(data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let info = root["info"] as? [String: Any], let paths = root["paths"] as? [String: Any]
        else { throw ReadError.unreadable("no info or paths") }
        let document = OpenAPIDocument(root: root)
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
                byTag[tag, default: []].append(
                    Self.operation(
                        operation, method: method, path: path, shared: shared,
                        globalSecurity: globalSecurity, document: document))
            }
        }
        let declared = (root["tags"] as? [[String: Any]]) ?? []
        var tags = declared.compactMap { tag -> Tag? in
            guard let name = tag["name"] as? String, let operations = byTag.removeValue(forKey: name) else {
                return nil
            }
            return Tag(
                name: name, description: Markdown.html(tag["description"] as? String ?? ""), operations: operations)
        }
        tags += byTag.keys.sorted().map { Tag(name: $0, description: "", operations: byTag[$0]!) }
        self.tags = tags
        operationKeys = keys

        let responses = ((root["components"] as? [String: Any])?["responses"] as? [String: Any]) ?? [:]
        errors = responses.compactMap { name, value -> (Int, ErrorStatus)? in
            guard let response = value as? [String: Any], let code = Self.errorCodes[name] else { return nil }
            return (
                code,
                ErrorStatus(
                    status: String(code), title: Self.titles[code] ?? name,
                    description: Markdown.html(response["description"] as? String ?? ""))
            )
        }.sorted { $0.0 < $1.0 }.map(\.1)
        let problem = document.resolve(["$ref": "#/components/schemas/Problem"])
        let required = Set((problem["required"] as? [String]) ?? [])
        problemFields = ((problem["properties"] as? [String: Any]) ?? [:]).keys.sorted { a, b in
            (Self.problemOrder.firstIndex(of: a) ?? 99) < (Self.problemOrder.firstIndex(of: b) ?? 99)
        }.map { name in
            let property = document.resolve((problem["properties"] as! [String: Any])[name] as? [String: Any] ?? [:])
            return Parameter(
                name: name, location: "", type: document.typeName(property), required: required.contains(name),
                description: Markdown.html(property["description"] as? String ?? ""))
        }
        problemExample = document.example(of: problem).flatMap(Self.pretty) ?? "{}"
    }

    private static let problemOrder = ["type", "title", "status", "detail", "field", "errors"]
    private static let errorCodes = [
        "BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "Conflict": 409,
        "PayloadTooLarge": 413,
        "UnsupportedMediaType": 415, "UnprocessableEntity": 422, "TooManyRequests": 429,
    ]
    static let titles = [
        200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found", 409: "Conflict", 413: "Content Too Large", 415: "Unsupported Media Type",
        422: "Unprocessable Content",
        429: "Too Many Requests", 503: "Service Unavailable",
    ]

    private static func operation(
        _ operation: [String: Any], method: String, path: String, shared: [Any], globalSecurity: Bool,
        document: OpenAPIDocument
    ) -> Operation {
        let parameters = (shared + ((operation["parameters"] as? [Any]) ?? [])).compactMap { raw -> Parameter? in
            guard let object = raw as? [String: Any] else { return nil }
            let parameter = document.resolve(object)
            guard let name = parameter["name"] as? String else { return nil }
            let schema = document.resolve(parameter["schema"] as? [String: Any] ?? [:])
            return Parameter(
                name: name, location: parameter["in"] as? String ?? "", type: document.typeName(schema),
                required: parameter["required"] as? Bool ?? false,
                description: Markdown.html(parameter["description"] as? String ?? ""))
        }
        var requestExample: String?
        var body: Any?
        var bodyFields: [BodyField] = []
        if let raw = operation["requestBody"] as? [String: Any] {
            let content = document.resolve(raw)["content"] as? [String: Any]
            body = document.mediaExample(content)
            requestExample = body.flatMap(pretty)
            let schema = ((content?["application/json"] as? [String: Any])?["schema"] as? [String: Any]) ?? [:]
            bodyFields = Self.bodyFields(schema, document: document)
        }
        let requiredHeaders = (shared + ((operation["parameters"] as? [Any]) ?? [])).compactMap { raw -> String? in
            let parameter = document.resolve(raw as? [String: Any] ?? [:])
            guard parameter["in"] as? String == "header", parameter["required"] as? Bool == true else { return nil }
            return parameter["name"] as? String
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
        let needsKey = security.map { !$0.isEmpty } ?? globalSecurity
        let id = operation["operationId"] as? String ?? anchor(method, path)
        return Operation(
            id: id, link: "#" + id, method: method.uppercased(), path: path,
            summary: operation["summary"] as? String ?? "",
            description: Markdown.html(operation["description"] as? String ?? ""),
            permission: operation["x-permission"] as? String, needsKey: needsKey,
            parameters: parameters, hasParameters: !parameters.isEmpty, requestExample: requestExample,
            answers: answers,
            curl: curl(
                method: method.uppercased(), path: path, needsKey: needsKey, requiredHeaders: requiredHeaders,
                body: body),
            bodyFields: bodyFields, hasBodyFields: !bodyFields.isEmpty
        )
    }

    /// The paths in the order the file lists them.
    private static func pathOrder(data: Data, paths: [String: Any]) -> [String] {
        let text = String(decoding: data, as: UTF8.self)
        return paths.keys.sorted { a, b in
            (text.range(of: "\"\(a)\":")?.lowerBound ?? text.endIndex)
                < (text.range(of: "\"\(b)\":")?.lowerBound ?? text.endIndex)
        }
    }

    static func anchor(_ prefix: String, _ text: String) -> String {
        prefix + "-" + text.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined()
    }

    static func pretty(_ value: Any) -> String? {
        guard JSONSerialization.isValidJSONObject(value) || value is String || value is NSNumber else { return nil }
        guard
            let data = try? JSONSerialization.data(
                withJSONObject: value,
                options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
