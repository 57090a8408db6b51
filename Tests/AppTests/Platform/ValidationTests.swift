import Foundation
import Testing

@testable import App

/// The shared rules every name, description and email in Kagibag goes through (issue 23): one
/// wording for the API, one for the forms, the same limits wherever the field appears.
@Suite("Shared input rules")
struct ValidationTests {
    static let name = InputField("name", label: "Name")

    @Test("a name is trimmed, required, bounded and one line, each problem in the API's and the form's words")
    func namesFollowOneRule() throws {
        let rule = TextRule.name(maximum: 10)
        var validation = Validation()
        #expect(rule.check("  Door app ", Self.name, into: &validation) == "Door app")
        #expect(validation.isValid)

        let cases: [(String?, String, String)] = [
            (nil, "name must be 1 to 10 characters.", "Name is required."),
            ("   ", "name must be 1 to 10 characters.", "Name is required."),
            ("elevenchars", "name must be 1 to 10 characters.", "Name must be at most 10 characters."),
            (
                "tab\there", "name must be one line without control characters.",
                "Name must be one line without control characters."
            ),
            (
                "nul\u{0}", "name must be one line without control characters.",
                "Name must be one line without control characters."
            ),
            (
                "line\nbreak", "name must be one line without control characters.",
                "Name must be one line without control characters."
            ),
        ]
        for (raw, api, form) in cases {
            var validation = Validation()
            #expect(rule.check(raw, Self.name, into: &validation) == nil, "\(String(reflecting: raw))")
            #expect(validation.problems.map(\.message) == [api])
            #expect(validation.problems.map(\.forForm) == [form])
            #expect(throws: DomainError.invalid(validation.problems)) { try validation.finish() }
        }
    }

    @Test(
        "a multi-line text is kept as typed, with line breaks and tabs but no other control character; optional means empty is fine"
    )
    func multilineText() {
        let rule = TextRule(maximum: 100, required: false, multiline: true)
        let field = InputField("description", label: "Description")
        var validation = Validation()
        #expect(
            rule.check("  Doors open 9:00\n\tBring your ticket\n", field, into: &validation)
                == "  Doors open 9:00\n\tBring your ticket\n")
        #expect(rule.check("", field, into: &validation) == nil)
        #expect(validation.isValid)
        #expect(rule.check("bell\u{7}", field, into: &validation) == nil)
        #expect(validation.problems.map(\.forForm) == ["Description must not contain control characters."])
    }

    @Test("every kind of name in the product refuses a control character: people, teams, keys, events, attendees")
    func everyNameRefusesControlCharacters() throws {
        for rule in [TextRule.personOrTeamName, APIKey.nameRule, EventDraft.nameRule, AttendeeDraft.nameRule] {
            var validation = Validation()
            #expect(rule.check("Swift\u{1B}[31m Summit", Self.name, into: &validation) == nil)
            #expect(!validation.isValid)
        }
        #expect(throws: DomainError.self) {
            try EventDraft(
                name: "Swift\tSummit", description: nil, startsAt: Date(), endsAt: Date().addingTimeInterval(60),
                timezone: "UTC", venue: nil, capacity: nil, status: .draft)
        }
    }

    @Test("an email is lower-cased, needs one @ and a dotted domain, and says what a valid one looks like")
    func emails() {
        #expect(EmailRule.normalised("  Ada@Example.COM ") == "ada@example.com")
        for bad in [
            "", "ada", "ada@example", "a@b@example.com", "ada @example.com", "ada@.example.com", "ada@example.",
        ] {
            var validation = Validation()
            #expect(EmailRule.check(bad, into: &validation) == nil, "\(bad)")
            #expect(validation.problems.first?.field == "email")
            #expect(
                validation.problems.first?.forForm == (bad.isEmpty ? "Email is required." : EmailRule.invalid))
        }
    }

    @Test("a rule that throws adds its problems beside the others, so a form shows all of them at once")
    func collectedProblemsStayTogether() {
        var validation = Validation()
        _ = TextRule.personOrTeamName.check("", Self.name, into: &validation)
        let value: Int? = validation.collect {
            throw DomainError.invalid([FieldProblem(field: "expires_in_days", message: "Choose from the list.")])
        }
        #expect(value == nil)
        #expect(validation.problems.map(\.field) == ["name", "expires_in_days"])
    }
}
