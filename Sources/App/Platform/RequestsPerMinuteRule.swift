import Foundation

/// What a requests-per-minute budget may be, as typed into a form: a whole number from 1 to the
/// server's ceiling (`KAGIBAG_API_RATE_LIMIT_MAX`), or nothing for the default (a key: the
/// server's `KAGIBAG_API_RATE_LIMIT`; a team: no team-wide budget).
struct RequestsPerMinuteRule: Sendable {
    let ceiling: Int
    /// How the form names what an empty field means ("the server's default of 6,000").
    let empty: String
    /// Said after "must be at least 1", where there is a better way to stop traffic.
    var stopHint = ""

    func check(_ raw: String?, _ field: InputField, into validation: inout Validation) -> Int? {
        guard let typed = Validation.trimmed(raw) else { return nil }
        let limit =
            "Requests per minute must be a whole number from 1 to \(Self.format(ceiling)) (this server’s ceiling), or empty for \(empty)."
        // Digits, optionally grouped by thousands as the forms show them ("6,000"), nothing else.
        let grouped = typed.wholeMatch(of: /-?[0-9]{1,3}(,[0-9]{3})+/) != nil
        let text = grouped ? typed.replacingOccurrences(of: ",", with: "") : typed
        guard text.wholeMatch(of: /-?[0-9]+/) != nil, let value = Int(text) else {
            validation.add(FieldProblem(field: field.name, message: limit))
            return nil
        }
        guard value >= 1 else {
            validation.add(
                FieldProblem(
                    field: field.name,
                    message: "Requests per minute must be at least 1." + stopHint))
            return nil
        }
        guard value <= ceiling else {
            validation.add(FieldProblem(field: field.name, message: limit))
            return nil
        }
        return value
    }

    /// "6,000": thousands grouped as the forms show them.
    static func format(_ value: Int) -> String {
        value.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }
}
