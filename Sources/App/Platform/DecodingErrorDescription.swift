import Foundation

extension DecodingError {
    /// Names the offending field (and, for broken JSON, the position) without echoing input back.
    var problem: (message: String, field: String?) {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            let field = parent.isEmpty ? key.stringValue : parent + "." + key.stringValue
            return ("the field '\(field)' is required.", field)
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            let field = path(context)
            return field.isEmpty
                ? ("the body must be a JSON object.", nil) : ("the field '\(field)' has the wrong type.", field)
        case .dataCorrupted(let context):
            let field = path(context)
            if field.isEmpty, context.debugDescription.contains("fit") {
                return ("a number does not fit its field (whole numbers only).", nil)
            }
            if field.isEmpty {
                let underlying = context.underlyingError.map { String(describing: $0) } ?? ""
                if let range = underlying.range(of: #"line \d+, column \d+"#, options: .regularExpression) {
                    return ("the body is not valid JSON (around \(underlying[range])).", nil)
                }
                return ("the body is not valid JSON.", nil)
            }
            if context.debugDescription.contains("does not fit") || context.debugDescription.contains("fit in") {
                return ("the field '\(field)' must be a whole number in range.", field)
            }
            if context.debugDescription.hasPrefix("RFC 3339") {
                return ("the field '\(field)' must be \(RFC3339.hint).", field)
            }
            return ("the field '\(field)' is invalid.", field)
        @unknown default:
            return ("the body is invalid.", nil)
        }
    }
}
