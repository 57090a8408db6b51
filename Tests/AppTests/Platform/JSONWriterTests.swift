import Fluent
import Foundation
import Testing
import VaporTesting

@testable import App

@Suite("The JSON writer of event responses")
struct JSONWriterTests {
    @Test("the JSON writer escapes any text and writes every field of an event, nulls included")
    func eventJSONRoundTripsWhateverTheText() async throws {
        let tricky = "Quote \" backslash \\ newline \n tab \t bell \u{7} é 🎉 </script>"
        let draft = EventDraft(
            valid: (
                name: tricky, description: tricky, startsAt: Date(timeIntervalSince1970: 1_800_000_000.25),
                endsAt: Date(timeIntervalSince1970: 1_800_003_600), timezone: "Europe/Berlin", venue: nil, capacity: 12,
                status: .draft
            ))
        let event = EventRecord(
            id: UUID.v7(), teamID: UUID(), draft: draft, at: Date(timeIntervalSince1970: 1_790_000_000.5))
        let page = Page(data: [EventDTO(event), EventDTO(event)], nextCursor: "abc")
        let body = try #require(page.response().body.data)
        let object = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(object["next_cursor"] as? String == "abc")
        let items = try #require(object["data"] as? [[String: Any]])
        #expect(items.count == 2)
        let first = try #require(items.first)
        #expect(
            Set(first.keys) == [
                "id", "name", "description", "starts_at", "ends_at", "timezone", "venue", "capacity", "status",
                "created_at", "updated_at",
            ])
        #expect(first["id"] as? String == event.id.lowercasedString)
        #expect(first["name"] as? String == tricky)
        #expect(first["description"] as? String == tricky)
        #expect(first["starts_at"] as? String == "2027-01-15T08:00:00.250Z")
        #expect(first["ends_at"] as? String == "2027-01-15T09:00:00Z")
        #expect(first["timezone"] as? String == "Europe/Berlin")
        #expect(first["venue"] is NSNull)
        #expect(first["capacity"] as? Int == 12)
        #expect(first["status"] as? String == "draft")
        #expect(first["created_at"] as? String == "2026-09-21T14:13:20.500Z")
        #expect(first["updated_at"] as? String == "2026-09-21T14:13:20.500Z")
        let last = Page<EventDTO>(data: [], nextCursor: nil).response().body.string
        #expect(last == #"{"data":[],"next_cursor":null}"#)
    }

    @Test("problem details are written byte for byte as JSONEncoder with sorted keys wrote them")
    func problemDetailsMatchTheEncoder() throws {
        let samples = [
            ProblemDetails(
                title: "Unauthorized", status: 401, detail: "The key is not valid: “kgb_…” / \"quoted\" \\ \n end"),
            ProblemDetails(title: "Bad Request", status: 400),
            ProblemDetails(
                title: "Unprocessable Content", status: 422, detail: "2 problems", field: "ends_at",
                errors: [
                    FieldProblem(field: "ends_at", message: "End must be after start."),
                    FieldProblem(field: "name", message: "Zürich\t🎉"),
                ]),
            ProblemDetails(title: "Conflict", status: 409, errors: []),
            // Every kind of control character: the two-letter escapes and \u00XX.
            ProblemDetails(title: "Bad Request", status: 400, detail: "\u{8}\u{C}\r\u{0}\u{1}\u{1F}\u{7F}\u{2028}end"),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for sample in samples {
            #expect(
                String(decoding: sample.json().bytes, as: UTF8.self)
                    == String(decoding: try encoder.encode(sample), as: UTF8.self))
        }
    }

    @Test(
        "any text reads back unchanged: every ASCII character, escapes first, last and side by side, multi-byte characters between"
    )
    func everyCharacterReadsBack() throws {
        let ascii = String(decoding: (0..<128).map { UInt8($0) }, as: UTF8.self)
        let samples = [
            "", "plain", ascii, String(ascii.reversed()), "\"", "\\\\", "\n\"\u{1}\\", "\"at start", "at end\u{1F}",
            "é\"🎉\\ü\u{0}中", String(repeating: "long text without escapes ", count: 40) + "\t",
        ]
        for sample in samples {
            var json = JSONWriter()
            json.raw("[")
            json.string(sample)
            json.raw("]")
            let read = try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String]
            #expect(read == [sample], "\(sample.debugDescription)")
            // Only what JSON requires is escaped (a quote, a backslash, \n \r \t \b \f in two bytes; other
            // control characters as \u00XX): the rest is the text's own bytes.
            let extra = sample.utf8.reduce(0) { sum, byte in
                switch byte {
                case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: sum + 1
                case 0..<0x20: sum + 5
                default: sum
                }
            }
            #expect(json.bytes.count == sample.utf8.count + 4 + extra)
        }
        var json = JSONWriter()
        json.string("a\"b\u{1}c")
        #expect(String(decoding: json.bytes, as: UTF8.self) == #""a\"b\u0001c""#)
    }
}
