import Foundation
import Testing

@testable import App

@Suite("KAGIBAG_PUBLIC_URL and the host example requests name")
struct PublicURLTests {
    @Test(
        "a usable address is kept without its trailing slash",
        arguments: [
            ("https://events.example.com", "https://events.example.com"),
            ("https://events.example.com/", "https://events.example.com"),
            ("HTTP://Kagibag.Example:8080/base/", "http://kagibag.example:8080/base"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
        ]
    )
    func accepted(value: String, expected: String) throws {
        #expect(try Settings.load(from: ["KAGIBAG_PUBLIC_URL": value]).publicURL == expected)
    }

    @Test(
        "anything else stops start-up with one line naming the setting",
        arguments: [
            "events.example.com", "ftp://events.example.com", "https://", "https://user:pw@events.example.com",
            "https://events.example.com/?q=1", "https://events.example.com/#top", "https://events.example.com:0",
            "https://events.example.com:70000", "https://ev ents.example.com", "https://events.example.com/\"quote",
            "javascript:alert(1)", "https://-bad-.example.com",
        ]
    )
    func refused(value: String) {
        #expect {
            _ = try Settings.load(from: ["KAGIBAG_PUBLIC_URL": value])
        } throws: { error in
            let message = (error as? SettingsError)?.description ?? ""
            return message.contains("KAGIBAG_PUBLIC_URL") && !message.contains("\n")
        }
    }

    @Test("unset, there is none: pages fall back to the request's host")
    func unset() throws {
        #expect(try Settings.load(from: [:]).publicURL == nil)
    }

    @Test(
        "a Host header counts only as a bare host name or address with a port",
        arguments: [
            ("kagibag.test", true), ("kagibag.test:8080", true), ("127.0.0.1:80", true), ("[::1]:8080", true),
            ("localhost", true),
            ("", false), ("a@b.test", false), ("b.test/path", false), ("b.test:", false), ("b.test:abc", false),
            ("[::1", false),
            ("b.test\"", false), ("-b.test", false), ("b..test", false), ("ünï.test", false),
        ]
    )
    func hostHeader(value: String, usable: Bool) {
        #expect(PublicURL.isAuthority(value) == usable)
    }
}
