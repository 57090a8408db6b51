import Testing

@testable import APIKeyCore

@Suite("Client addresses from trusted proxies' headers")
struct ClientAddressChainTests {
    let proxy = [try! AddressRange(parsing: "10.0.0.2")]

    func client(
        _ peer: String, _ values: [String], _ header: ClientAddressChain.Header = .xForwardedFor,
        trusted: [AddressRange]? = nil
    ) -> String {
        ClientAddressChain.client(peer: peer, headerValues: values, header: header, trusted: trusted ?? proxy)
    }

    @Test("from anyone but a trusted proxy, the headers are ignored and the socket's peer is the client")
    func untrustedPeer() {
        #expect(client("203.0.113.9", ["198.51.100.7"]) == "203.0.113.9")
        #expect(client("203.0.113.9", ["198.51.100.7"], trusted: []) == "203.0.113.9")
    }

    @Test(
        "X-Forwarded-For is walked from the right, skipping trusted hops; client-written entries further left are not believed"
    )
    func walksFromTheRight() {
        #expect(client("10.0.0.2", ["198.51.100.7"]) == "198.51.100.7")
        #expect(client("10.0.0.2", ["1.2.3.4, 198.51.100.7"]) == "198.51.100.7")
        #expect(client("10.0.0.2", ["1.2.3.4", "198.51.100.7, 10.0.0.2"]) == "198.51.100.7")
        let hops = [try! AddressRange(parsing: "10.0.0.0/8")]
        #expect(client("10.0.0.2", ["198.51.100.7, 10.1.1.1, 10.2.2.2"], trusted: hops) == "198.51.100.7")
    }

    @Test("entries with ports, brackets, spaces and IPv4-mapped forms are read as the address they name")
    func entryForms() {
        #expect(client("10.0.0.2", ["198.51.100.7:51234"]) == "198.51.100.7")
        #expect(client("10.0.0.2", ["[2001:db8::7]:443"]) == "2001:db8::7")
        #expect(client("10.0.0.2", ["  2001:DB8:0:0::7 "]) == "2001:db8::7")
        #expect(client("10.0.0.2", ["::ffff:198.51.100.7"]) == "198.51.100.7")
        #expect(client("::ffff:10.0.0.2", ["198.51.100.7"]) == "198.51.100.7")
        #expect(client("::ffff:203.0.113.9", []) == "203.0.113.9")
    }

    @Test("what a trusted hop wrote that is no address stops the walk at that hop")
    func garbageStops() {
        #expect(client("10.0.0.2", ["198.51.100.7, unknown"]) == "10.0.0.2")
        #expect(client("10.0.0.2", ["198.51.100.7, 1.2.3.4:99999"]) == "10.0.0.2")
        #expect(client("10.0.0.2", [""]) == "10.0.0.2")
        #expect(client("10.0.0.2", []) == "10.0.0.2")
    }

    @Test("Forwarded is read only when the proxies are said to write it, for= of each element, quoted or not")
    func forwarded() {
        #expect(client("10.0.0.2", [#"for="[2001:db8::7]:4711";proto=https"#], .forwarded) == "2001:db8::7")
        #expect(client("10.0.0.2", ["for=1.2.3.4, For=198.51.100.7;by=10.0.0.2"], .forwarded) == "198.51.100.7")
        #expect(client("10.0.0.2", ["for=_hidden"], .forwarded) == "10.0.0.2")
        #expect(client("10.0.0.2", ["proto=https"], .forwarded) == "10.0.0.2")
    }

    @Test("per-address limits count IPv4 addresses alone and IPv6 addresses by their /64")
    func limitKeys() {
        #expect(ClientAddressChain.limitKey("198.51.100.7") == "198.51.100.7")
        #expect(ClientAddressChain.limitKey("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64")
        #expect(
            ClientAddressChain.limitKey("2001:db8:1:2::ffff") == ClientAddressChain.limitKey("2001:db8:1:2:aaaa::1"))
        #expect(ClientAddressChain.limitKey("2001:db8:1:3::1") != ClientAddressChain.limitKey("2001:db8:1:2::1"))
        #expect(ClientAddressChain.limitKey("unknown") == "unknown")
    }
}

@Suite("Finding keys in a log, a piece at a time")
struct APIKeyScannerTests {
    func scan(_ pieces: [String]) -> (keys: [String], lines: Int) {
        var scanner = APIKeyScanner()
        var keys: [String] = []
        for piece in pieces { keys += scanner.feed(piece.utf8) }
        keys += scanner.finish()
        return (keys, scanner.lines)
    }

    @Test("a key is not part of a longer word on either side: _ counts as part of a word, as documented")
    func boundaries() {
        let key = APIKeyToken.generate().plaintext
        #expect(scan([key]).keys == [key])
        #expect(scan(["Bearer \(key)."]).keys == [key])
        #expect(scan(["\(key)_x"]).keys.isEmpty)
        #expect(scan(["x_\(key)"]).keys.isEmpty)
        #expect(scan(["\(key)x"]).keys.isEmpty)
        #expect(scan(["\"\(key)\",\"\(key)\""]).keys == [key, key])
    }

    @Test("pieces cut anywhere, even inside a key or between a key and the byte after it, find the same keys and lines")
    func piecesCutAnywhere() {
        let keys = (0..<3).map { _ in APIKeyToken.generate().plaintext }
        let text = "a \(keys[0])\nb=\(keys[1])_x \(keys[2])\n\n\(keys[1])"
        let whole = scan([text])
        #expect(whole.keys == [keys[0], keys[2], keys[1]])
        #expect(whole.lines == 4)
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            let pieces = [
                String(decoding: bytes[..<cut], as: UTF8.self), String(decoding: bytes[cut...], as: UTF8.self),
            ]
            #expect(scan(pieces) == whole, "cut at \(cut)")
        }
    }

    @Test("a very long line is scanned holding only a key's length of it between pieces")
    func longLine() {
        var scanner = APIKeyScanner()
        let key = APIKeyToken.generate().plaintext
        let filler = [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        var found: [String] = []
        for _ in 0..<8 { found += scanner.feed(filler) }  // 8 MiB of one word
        found += scanner.feed(" \(key) ".utf8)
        found += scanner.finish()
        #expect(found == [key])
        #expect(scanner.lines == 1)
    }
}
