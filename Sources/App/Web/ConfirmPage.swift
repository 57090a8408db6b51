import Vapor

/// The page that asks before a destructive form takes effect, for browsers without script (with
/// script, the form's dialog asks and sends `confirmed=yes`). Nothing changes until the person
/// sends the form again from this page.
struct ConfirmPage: Encodable {
    let page: PageContext
    let question: String
    let explanation: String
    /// Where the confirmed form goes: the same path the first one went to.
    let action: String
    let confirmLabel: String
    let keepLabel: String
    let keepPath: String
    /// The first form's other fields, sent again with the confirmation (a roll's choices).
    var fields: [Field] = []

    struct Field: Encodable {
        let name, value: String
    }

    private struct Form: Content {
        var confirmed: String?
    }

    /// Whether the form said it was confirmed (by the dialog, or by this page).
    static func isConfirmed(_ req: Request) -> Bool {
        (try? req.content.decode(Form.self))?.confirmed == "yes"
    }

    func response(for req: Request) async throws -> Response {
        try await req.renderPage("confirm", self)
    }
}
