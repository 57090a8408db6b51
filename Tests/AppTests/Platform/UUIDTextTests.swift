import Foundation
import Testing

@testable import App
@testable import KagibagSQL

@Suite("UUIDs and cursors as text")
struct UUIDTextTests {
    @Test("ids are written in lower case and read back in either case, exactly as Foundation does")
    func roundTrip() {
        for _ in 0..<500 {
            let id = UUID()
            #expect(id.lowercasedString == id.uuidString.lowercased())
            #expect(UUID(text: id.uuidString) == id)
            #expect(UUID(text: id.lowercasedString) == id)
        }
    }

    @Test(
        "text that is not a hyphenated UUID is refused",
        arguments: [
            "", "e621e1f8-c36c-495a-93fc-0c247a3e6e5", "e621e1f8-c36c-495a-93fc-0c247a3e6e5ff",
            "e621e1f8c36c-495a-93fc-0c247a3e6e5f0",
            "g621e1f8-c36c-495a-93fc-0c247a3e6e5f", "e621e1f8-c36c-495a-93fc_0c247a3e6e5f",
            "e621e1f8-c36c-495a-93fc-0c247a3e6é5",
        ])
    func refusesMalformed(_ text: String) {
        #expect(UUID(text: text) == nil)
        #expect(UUID(uuidString: text) == nil)
    }

    @Test("URL-safe base64 has no +, / or padding, and decodes to the same bytes")
    func base64URL() {
        for count in 0..<64 {
            let data = Data((0..<count).map { _ in UInt8.random(in: 0...255) })
            let text = data.base64URLEncodedString()
            let expected = data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(text == expected)
        }
    }
}
