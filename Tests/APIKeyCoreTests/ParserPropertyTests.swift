import PropertyBased
import Testing

@testable import APIKeyCore

/// What attackers type goes through these parsers: random and adversarial input never crashes
/// them, never gets accepted where the strict form refuses it, and what they print reads back.
@Suite("Parsers under random and adversarial input")
struct ParserPropertyTests {
    /// Characters that matter to the parsers, and some that should never get through.
    static let hostile: [Character] = Array("0123456789abcdefABCDEFkgb_:.[]/,;=\" \t%-+xX\u{0}\n\r\u{7F}é\u{301}😀")
    static let text = Gen<Character?>.element(of: hostile).map { $0! }.string(of: 0...60)

    static let ipv4 = Gen.uint8().array(of: 4).map { $0.map(String.init).joined(separator: ".") }
    static let ipv6 = Gen.uint16().array(of: 8).map { $0.map { String($0, radix: 16) }.joined(separator: ":") }

    @Test("an address range that parses prints a form that parses back to the same range")
    func addressRangeRoundTrip() async {
        await propertyCheck(count: 500, input: Self.text) { text in
            guard let range = try? AddressRange(parsing: text) else { return }
            #expect((try? AddressRange(parsing: range.description)) == range, "\(text.debugDescription)")
        }
        await propertyCheck(input: Self.ipv6, Gen.int(in: 0...128)) { address, length in
            let range = try #require(try? AddressRange(parsing: address)).prefix(length)
            #expect((try? AddressRange(parsing: range.description)) == range)
            #expect(range.contains(address))
        }
        await propertyCheck(input: Self.ipv4) { address in
            let range = try #require(try? AddressRange(parsing: address))
            #expect(range.description == address)
            #expect(range.contains("::ffff:" + address))
        }
    }

    @Test("a client address from forwarding headers is always an address that reads back as itself, or the peer")
    func clientAddressIsCanonical() async {
        let trusted = [try! AddressRange(parsing: "10.0.0.0/8")]
        await propertyCheck(count: 500, input: Self.text.array(of: 0...3), Gen.bool) { values, forwarded in
            let header: ClientAddressChain.Header = forwarded ? .forwarded : .xForwardedFor
            let client = ClientAddressChain.client(
                peer: "10.0.0.2", headerValues: values, header: header, trusted: trusted)
            #expect(ClientAddressChain.canonical(client) == client, "\(values.debugDescription)")
            // An untrusted peer is never overridden.
            #expect(
                ClientAddressChain.client(peer: "203.0.113.9", headerValues: values, header: header, trusted: trusted)
                    == "203.0.113.9")
        }
        await propertyCheck(input: Self.ipv6, Gen.int(in: 1...65535)) { address, port in
            let canonical = try #require(ClientAddressChain.canonical(address))
            #expect(ClientAddressChain.canonical("[\(address)]:\(port)") == canonical)
            #expect(ClientAddressChain.limitKey(canonical).hasSuffix("/64"))
        }
        await propertyCheck(input: Self.ipv4, Gen.int(in: 1...65535)) { address, port in
            #expect(ClientAddressChain.canonical("\(address):\(port)") == address)
            #expect(ClientAddressChain.canonical("::ffff:\(address)") == address)
        }
    }

    @Test("a key parses only in its exact form; generated keys read back; one changed character is refused")
    func keyTokens() async {
        await propertyCheck(count: 500, input: Self.text) { text in
            guard let token = try? APIKeyToken(parsing: text) else { return }
            #expect(token.plaintext == text && text.utf8.count == APIKeyToken.length && text.hasPrefix("kgb_"))
        }
        await propertyCheck(
            input: Gen.int(in: 4..<APIKeyToken.length),
            Gen<Character?>.element(of: Array("0123456789abcXYZ")).map { $0! }
        ) { index, replacement in
            let key = APIKeyToken.generate().plaintext
            #expect((try? APIKeyToken(parsing: key))?.plaintext == key)
            var bytes = Array(key.utf8)
            let new = UInt8(ascii: replacement.unicodeScalars.first!)
            guard bytes[index] != new else { return }
            bytes[index] = new
            #expect((try? APIKeyToken(parsing: String(decoding: bytes, as: UTF8.self))) == nil)
        }
    }

    @Test("the key scanner finds the same keys however its input is cut, and only well-formed ones")
    func scannerPieces() async {
        let key = APIKeyToken.generate().plaintext
        let parts = Gen<String?>.element(of: [key, key + "_", "_" + key, " ", "\n", "kgb_", "x", ",", "é"]).map { $0! }
            .array(of: 0...12)
        await propertyCheck(count: 300, input: parts, Gen.int(in: 0...400).array(of: 0...5)) { parts, cuts in
            let bytes = Array(parts.joined().utf8)
            var whole = APIKeyScanner()
            let expected = whole.feed(bytes) + whole.finish()
            var cutUp = APIKeyScanner()
            var found: [String] = []
            var start = 0
            for cut in cuts.sorted() where cut > start && cut < bytes.count {
                found += cutUp.feed(bytes[start..<cut])
                start = cut
            }
            found += cutUp.feed(bytes[start...]) + cutUp.finish()
            #expect(found == expected)
            #expect(whole.lines == cutUp.lines)
            #expect(expected.allSatisfy { $0 == key })
        }
    }
}
