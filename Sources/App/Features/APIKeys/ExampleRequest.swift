import Vapor

/// The request the pages show as a first call with a key, as the public docs write it: the
/// team's events from this server's own address (`PublicURL`).
enum ExampleRequest {
    /// What the docs and the key list put where the key goes.
    static let placeholder = "YOUR_API_KEY"

    static let eventsPath = "/api/v1/organizer/events"
    static let keyInfoPath = "/api/v1/organizer/key"

    /// `key` is the placeholder, or a new key in the one response that shows it; `path` what it asks.
    static func curl(_ req: Request, key: String = placeholder, path: String = eventsPath) -> String {
        "curl -H \"Authorization: Bearer \(key)\" \\\n     -H \"Accept: application/json\" \\\n     \(PublicURL.base(for: req))\(path)"
    }
}
