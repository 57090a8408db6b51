import Foundation

/// Normalising and checking what people type into forms. Every rule returns a message fit to
/// show on the page; nothing here throws a 5xx.
enum FormInput {
    /// Trimmed text, or nil when empty after trimming.
    static func text(_ raw: String?) -> String? {
        guard let trimmed = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// Checks a required, single-line name of at most `maximum` characters.
    static func name(_ raw: String?, field: String, maximum: Int = 100) -> Result<String, FormError> {
        guard let value = text(raw) else { return .failure(FormError("\(field) is required.")) }
        guard value.count <= maximum else {
            return .failure(FormError("\(field) must be at most \(maximum) characters."))
        }
        guard !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return .failure(FormError("\(field) must not contain control characters."))
        }
        return .success(value)
    }

    /// A lower-cased email address with one `@`, something either side and no spaces.
    static func email(_ raw: String?) -> Result<String, FormError> {
        guard let value = text(raw)?.lowercased() else { return .failure(FormError("Email is required.")) }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard value.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            !value.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control
            })
        else { return .failure(FormError("Enter a valid email address, like ada@example.com.")) }
        return .success(value)
    }
}

struct FormError: Error, Equatable {
    let message: String
    init(_ message: String) { self.message = message }
}
