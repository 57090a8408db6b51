import Vapor

/// The address this server is reached by, for the example requests pages show
/// (`curl … https://events.example.com/api/v1/organizer/events`).
///
/// `KAGIBAG_PUBLIC_URL` when set. Otherwise the request's `Host` — what the browser showing the
/// page used to reach the server — but only if it is a bare host name or address with an
/// optional port: a forged `Host` (through a proxy that passes anything on) can put nothing but
/// another host name into a command someone copies with their key, and the setting avoids even
/// that. The scheme is `https` when cookies are `Secure` (served over HTTPS) or a trusted proxy
/// says so in `X-Forwarded-Proto`.
enum PublicURL {
    /// Shown when the request names no usable host.
    static let placeholder = "https://YOUR-KAGIBAG-HOST"

    static func base(for req: Request) -> String {
        let settings = req.application.services.settings
        if let configured = settings.publicURL { return configured }
        guard let host = req.headers.first(name: .host), isAuthority(host) else { return placeholder }
        let forwardedHTTPS =
            req.isFromTrustedProxy && req.headers.first(name: "X-Forwarded-Proto")?.lowercased() == "https"
        return (settings.secureCookies || forwardedHTTPS ? "https://" : "http://") + host.lowercased()
    }

    /// `url` without trailing slashes if it is `http(s)://authority[/path]` and nothing else
    /// (no user, query, fragment, space or quote); otherwise nil.
    static func validated(_ url: String) -> String? {
        let lower = url.lowercased()
        guard url.count <= 200, let scheme = ["http://", "https://"].first(where: { lower.hasPrefix($0) }) else {
            return nil
        }
        let rest = url.dropFirst(scheme.count)
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        let pathCharacters = CharacterSet(
            charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/%")
        guard isAuthority(String(authority)), path.unicodeScalars.allSatisfy(pathCharacters.contains) else {
            return nil
        }
        var base = scheme + authority.lowercased() + path
        while base.hasSuffix("/") { base.removeLast() }
        return base
    }

    /// `host` or `host:port`: a DNS name, an IPv4 address or a bracketed IPv6 address.
    static func isAuthority(_ value: String) -> Bool {
        guard !value.isEmpty, value.count <= 260, value.allSatisfy(\.isASCII) else { return false }
        var host = Substring(value)
        var port: Substring?
        if value.hasPrefix("[") {
            guard let end = value.firstIndex(of: "]") else { return false }
            let inside = value[value.index(after: value.startIndex)..<end]
            guard inside.count >= 2, inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }),
                inside.contains(":")
            else { return false }
            let after = value[value.index(after: end)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return false }
                port = after.dropFirst()
            }
            host = ""
        } else if let colon = value.lastIndex(of: ":") {
            host = value[..<colon]
            port = value[value.index(after: colon)...]
        }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy(\.isASCII), port.allSatisfy(\.isNumber),
                let number = Int(port), (1...65535).contains(number)
            else { return false }
        }
        guard !host.isEmpty || value.hasPrefix("[") else { return false }
        if host.isEmpty { return true }
        guard host.count <= 253 else { return false }
        return host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { label in
            (1...63).contains(label.count) && label.first != "-" && label.last != "-"
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
    }
}
