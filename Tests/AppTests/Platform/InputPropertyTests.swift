import Foundation
import PropertyBased
import Testing

@testable import App

/// The parsers of what any client may send (page cursors, CSRF fields, Idempotency-Key and
/// X-Request-Id headers): random and adversarial input never crashes them and never passes
/// where the strict form refuses it; what the server prints reads back.
@Suite("Request input under random and adversarial values")
struct InputPropertyTests {
    static let hostile: [Character] = Array("0123456789abcdefXYZ-_=+/.:;, \t\u{0}\n\r\u{7F}é\u{301}😀%v1")
    static let text = Gen<Character?>.element(of: hostile).map { $0! }.string(of: 0...300)

    @Test("a page cursor the server printed reads back; anything else is nil, never a crash")
    func cursors() async {
        await propertyCheck(count: 300, input: Self.text) { text in
            if let id = PageRequest.decode(text) {
                #expect(PageRequest.decode(PageRequest.encode(id)) == id)
            }
        }
        await propertyCheck(count: 100, input: Gen.uint8().array(of: 16)) { bytes in
            let id = UUID(
                uuid: (
                    bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
                ))
            #expect(PageRequest.decode(PageRequest.encode(id)) == id)
        }
    }

    @Test("a CSRF field passes the shape check only as 43 base64url characters, as the server makes them")
    func csrfTokens() async {
        await propertyCheck(count: 300, input: Self.text) { text in
            let wellFormed =
                text.utf8.count == 43
                && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            #expect(CSRFMiddleware.isWellFormed(text) == wellFormed)
        }
        for _ in 0..<50 { #expect(CSRFMiddleware.isWellFormed(CSRFMiddleware.newToken())) }
    }

    @Test("an Idempotency-Key is 1 to 255 visible ASCII characters; an X-Request-Id 1 to 64 of A–Z a–z 0–9 . _ -")
    func headerValues() async {
        await propertyCheck(count: 300, input: Self.text) { text in
            let visible = text.unicodeScalars.allSatisfy { $0.value >= 0x21 && $0.value <= 0x7E }
            #expect(Idempotency.isWellFormed(text) == (visible && (1...255).contains(text.utf8.count)))
            let idCharacters = text.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_".unicodeScalars.contains($0))
            }
            #expect(RequestIDMiddleware.isWellFormed(text) == (idCharacters && (1...64).contains(text.utf8.count)))
        }
    }
}
