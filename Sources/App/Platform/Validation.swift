import Foundation

/// The one way input is checked, for the API and the forms alike: rules append `FieldProblem`s
/// (each worded for the API by field name and for a form by label), every problem is found at
/// once, and `finish()` throws them together as `DomainError.invalid` (422). Nothing here throws
/// anything else, so bad input never becomes a 5xx.
struct Validation {
    private(set) var problems: [FieldProblem] = []

    var isValid: Bool { problems.isEmpty }

    mutating func add(_ problem: FieldProblem) { problems.append(problem) }
    mutating func add(_ problems: [FieldProblem]) { self.problems += problems }

    /// Adds `problem` unless `ok`.
    mutating func require(_ ok: Bool, _ problem: @autoclosure () -> FieldProblem) {
        if !ok { problems.append(problem()) }
    }

    /// Runs a rule that throws `DomainError` (a policy, a lifetime) and keeps its problems.
    mutating func collect<T>(_ rule: () throws -> T) -> T? {
        do {
            return try rule()
        } catch let error as DomainError {
            problems += error.problems
            return nil
        } catch {
            preconditionFailure("a validation rule threw \(error)")
        }
    }

    /// Throws every problem found so far, if any.
    func finish() throws {
        guard problems.isEmpty else { throw DomainError.invalid(problems) }
    }

    /// The text as typed without surrounding white space, or nil when nothing is left.
    static func trimmed(_ raw: String?) -> String? {
        guard let value = raw?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}

/// A field as the API names it (`starts_at`) and as its form labels it ("Start").
struct InputField: Sendable {
    let name: String
    let label: String

    init(_ name: String, label: String) {
        self.name = name
        self.label = label
    }
}

/// What a text field may hold: names (one line, required), descriptions (optional, one line or
/// several). Every name in Kagibag — a person's, a team's, a key's, an event's, an attendee's —
/// follows one of these, so none of them can smuggle a control character into a page, a log
/// line or a CSV export.
struct TextRule: Sendable {
    var maximum: Int
    var required = true
    /// Line breaks and tabs allowed (other control characters never are), and the text kept as
    /// typed: a description's leading indentation or closing blank line may be meant.
    var multiline = false
    /// The form's words for a required field left empty ("Enter the event’s name."); by default
    /// "LABEL is required.".
    var missing: String? = nil

    static func name(maximum: Int, missing: String? = nil) -> TextRule {
        TextRule(maximum: maximum, missing: missing)
    }

    /// A person's or a team's name.
    static let personOrTeamName = TextRule.name(maximum: 100)

    /// The trimmed value, nil when it is absent (a problem only when required) or breaks a rule.
    func check(_ raw: String?, _ field: InputField, into validation: inout Validation) -> String? {
        // A multi-line text is kept as typed: only whether it holds anything but white space.
        let present = multiline ? raw.flatMap { $0.contains { !$0.isWhitespace } ? $0 : nil } : Validation.trimmed(raw)
        guard let value = present else {
            if required {
                validation.add(
                    FieldProblem(
                        field: field.name, message: "\(field.name) must be 1 to \(maximum) characters.",
                        formMessage: missing ?? "\(field.label) is required."))
            }
            return nil
        }
        var ok = true
        if value.count > maximum {
            ok = false
            validation.add(
                FieldProblem(
                    field: field.name,
                    message: required
                        ? "\(field.name) must be 1 to \(maximum) characters."
                        : "\(field.name) must be at most \(maximum) characters.",
                    formMessage: "\(field.label) must be at most \(maximum) characters."))
        }
        if value.unicodeScalars.contains(where: { !allowed($0) }) {
            ok = false
            validation.add(
                multiline
                    ? FieldProblem(
                        field: field.name, message: "\(field.name) must not contain control characters.",
                        formMessage: "\(field.label) must not contain control characters.")
                    : FieldProblem(
                        field: field.name, message: "\(field.name) must be one line without control characters.",
                        formMessage: "\(field.label) must be one line without control characters."))
        }
        return ok ? value : nil
    }

    /// The control characters (general category Cc) are exactly U+0000–U+001F and
    /// U+007F–U+009F: compared as numbers, since a property lookup per scalar showed in the
    /// cost of creating an event (a 10,000-character description is read on every request).
    private func allowed(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        guard value < 0x20 || (0x7F...0x9F).contains(value) else { return true }
        return multiline && (scalar == "\n" || scalar == "\r" || scalar == "\t")
    }
}

/// An email address: lower-cased, one `@` with something either side, a dot in the domain, no
/// white space, at most 254 characters.
enum EmailRule {
    static let invalid = "Enter a valid email address, like ada@example.com."

    static func check(
        _ raw: String?, _ field: InputField = InputField("email", label: "Email"), into validation: inout Validation
    )
        -> String?
    {
        guard let value = Validation.trimmed(raw)?.lowercased() else {
            validation.add(
                FieldProblem(
                    field: field.name, message: "\(field.name) must be a valid email address, like ada@example.com.",
                    formMessage: "\(field.label) is required."))
            return nil
        }
        guard isValid(value) else {
            validation.add(
                FieldProblem(
                    field: field.name, message: "\(field.name) must be a valid email address, like ada@example.com.",
                    formMessage: invalid))
            return nil
        }
        return value
    }

    /// The address, lower-cased, when it is well formed; nil otherwise (no problem recorded).
    static func normalised(_ raw: String?) -> String? {
        var ignored = Validation()
        return check(raw, into: &ignored)
    }

    private static func isValid(_ value: String) -> Bool {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        return value.count <= 254 && parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".")
            && !parts[1].hasPrefix(".") && !parts[1].hasSuffix(".")
            && !value.unicodeScalars.contains(where: {
                $0.properties.isWhitespace || $0.properties.generalCategory == .control
            })
    }
}
