/// A form's problems as its page shows them: all of them at once in a summary above the form
/// (each a link to its field), and each next to its field (`errors.fields.NAME` in a template,
/// NAME as the form posts it). Messages are the form's words (`FieldProblem.forForm`).
struct FormErrors: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        let message: String
        /// `#element-id` of the field, or empty when the problem belongs to no one field.
        let anchor: String
    }

    let summary: [Item]
    let fields: [String: String]
    let hasAny: Bool
    let total: Int

    static let none = FormErrors([], ids: [:])

    /// `ids` maps a field's name to the id of its input on the page.
    init(_ problems: [FieldProblem], ids: [String: String]) {
        var fields: [String: String] = [:]
        var summary: [Item] = []
        for problem in problems {
            let message = problem.forForm
            if let id = ids[problem.field] {
                if let earlier = fields[problem.field] {
                    guard !earlier.contains(message) else { continue }
                    fields[problem.field] = earlier + " " + message
                } else {
                    fields[problem.field] = message
                }
                summary.append(Item(message: message, anchor: "#" + id))
            } else {
                summary.append(Item(message: message, anchor: ""))
            }
        }
        self.summary = summary
        self.fields = fields
        hasAny = !summary.isEmpty
        total = summary.count
    }
}
