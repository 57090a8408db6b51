import Testing

@testable import APIKeyCore

@Suite("Address fences: IPv4, IPv6 and CIDR ranges")
struct AddressRangeTests {
    @Test(
        "ranges contain exactly the addresses inside them",
        arguments: [
            ("10.0.0.0/8", "10.255.1.2", true),
            ("10.0.0.0/8", "11.0.0.1", false),
            ("10.0.0.0/8", "::ffff:10.1.2.3", true),
            ("192.0.2.7", "192.0.2.7", true),
            ("192.0.2.7", "192.0.2.8", false),
            ("0.0.0.0/0", "203.0.113.9", true),
            ("2001:db8::/32", "2001:db8:1::5", true),
            ("2001:db8::/32", "2001:db9::1", false),
            ("::1", "::1", true),
            ("::1", "127.0.0.1", false),
            ("127.0.0.1", "::ffff:127.0.0.1", true),
            ("10.0.0.0/8", "not an address", false),
        ])
    func containment(range: String, address: String, inside: Bool) throws {
        #expect(try AddressRange(parsing: range).contains(address) == inside)
    }

    @Test(
        "bad entries are refused with a message that names them",
        arguments: [
            "10.0.0.0/33", "2001:db8::/129", "300.1.1.1", "10.0.0", "10.01.0.0", "fe80::1%eth0", "1:2:3:4:5:6:7:8:9",
            "example.com",
            "10.0.0.0/", "/8", "1::2::3", "",
        ])
    func refused(entry: String) {
        #expect(throws: AddressRange.ParseError.self) { try AddressRange(parsing: entry) }
    }

    @Test("a range with host bits set is refused with the range that was probably meant")
    func hostBits() {
        do {
            _ = try AddressRange(parsing: "10.1.0.0/8")
            Issue.record("accepted")
        } catch {
            #expect(error.message.contains("did you mean 10.0.0.0/8?"))
        }
    }

    @Test(
        "entries print in canonical form",
        arguments: [
            ("10.0.0.0/8", "10.0.0.0/8"), ("192.0.2.7", "192.0.2.7"), ("2001:DB8:0:0:0:0:0:0/32", "2001:db8::/32"),
            ("0:0:0:0:0:0:0:1", "::1"), ("::ffff:10.0.0.0/104", "10.0.0.0/8"),
        ])
    func canonical(entry: String, printed: String) throws {
        #expect(try AddressRange(parsing: entry).description == printed)
    }
}
