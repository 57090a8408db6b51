import Foundation

/// A key's leak report as the list, the key's page and the notice show it, and the sanitising of
/// where it was found (kept on the key's row, so with the key).
enum KeyLeakFields {
    static let maximumURL = 2048
    static let maximumSource = 100

    /// The reported URL, kept if it is an http(s) URL of sensible length without control characters
    /// or spaces (it becomes a link on the admins' pages).
    static func url(_ raw: String?) -> String? {
        guard let raw, raw.utf8.count <= maximumURL, !hasControlsOrSpaces(raw),
            let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
            url.host?.isEmpty == false
        else { return nil }
        return raw
    }

    /// The reported kind of place ("content", "commit", "pull_request_comment", …), if it is short plain text.
    static func source(_ raw: String?) -> String? {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw.count <= maximumSource,
            !raw.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else { return nil }
        return raw
    }

    private static func hasControlsOrSpaces(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control || $0.properties.isWhitespace }
    }
}

/// A key's leak report as the list, the key's page and the notice show it.
struct LeakView: Encodable {
    let when: TimeView
    /// "GitHub secret scanning", "the public revocation endpoint", "the command line".
    let how: String
    let url, source, dismissedBy: String?
    let dismissed: TimeView?
    let dismissPath: String

    init?(_ key: APIKey, now: Date = Date()) {
        guard let revokedAt = key.revokedAt, let id = key.id else { return nil }
        when = TimeView(revokedAt, now: now)
        switch Metrics.LeakChannel(rawValue: key.revokedVia ?? "") {
        case .github: how = "GitHub secret scanning"
        case .commandLine: how = "the command line"
        case .publicEndpoint, nil: how = "the public revocation endpoint"
        }
        url = KeyLeakFields.url(key.leakURL)
        source = KeyLeakFields.source(key.leakSource)
        dismissed = key.leakNoticeDismissedAt.map { TimeView($0, now: now) }
        dismissedBy = key.leakNoticeDismissedBy
        dismissPath = SitePath.apiKeyDismissLeak(.value(id)).path
    }

    /// The notice on every Admin page: "API key “CRM sync” was revoked at … because it was found at …".
    static func notice(for key: APIKey, now: Date = Date()) -> String? {
        guard let view = LeakView(key, now: now) else { return nil }
        var text = "API key “\(key.name)” was revoked at \(view.when.exact) (\(view.when.relative)) because it was "
        if let url = view.url {
            text += "found at \(url)" + (view.source.map { " (\($0))" } ?? "") + ", reported by \(view.how)."
        } else {
            text += "reported as leaked through \(view.how)."
        }
        return text + " Integrations using it get 401; roll it to give them a new secret."
    }
}
