import Foundation

/// What is said about a leak in the audit trail: who reported it and how. (Where it was found,
/// sanitised, and how the pages show it: `KeyLeakView`, with the key.) Never the key.
enum LeakDetails {
    /// Who the audit trail names as having revoked the key.
    static func actor(_ channel: Metrics.LeakChannel) -> String {
        switch channel {
        case .publicEndpoint: "Public revocation endpoint"
        case .github: "GitHub secret scanning"
        case .commandLine: "command line"
        }
    }

    /// "through GitHub secret scanning, found at https://… (commit)".
    static func how(_ channel: Metrics.LeakChannel, url: String?, source: String?) -> String {
        var text: String
        switch channel {
        case .publicEndpoint: text = "through the public revocation endpoint"
        case .github: text = "through GitHub secret scanning"
        case .commandLine: text = "on the command line (kagibag keys revoke)"
        }
        if let url { text += ", found at \(url)" }
        if let source { text += " (\(source))" }
        return text
    }
}
