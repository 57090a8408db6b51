import Vapor

/// An API authentication or authorization failure, with its RFC 6750 challenge.
struct BearerChallenge: AbortError {
    enum Code: String {
        case invalidRequest = "invalid_request"
        case invalidToken = "invalid_token"
        case insufficientScope = "insufficient_scope"
    }

    let code: Code?
    let detail: String
    var scope: String? = nil

    static let realm = "kagibag"

    var status: HTTPResponseStatus {
        switch code {
        case nil, .invalidToken: .unauthorized
        case .invalidRequest: .badRequest
        case .insufficientScope: .forbidden
        }
    }

    var reason: String { detail }

    var headers: HTTPHeaders {
        var challenge = "Bearer realm=\"\(Self.realm)\""
        if let code {
            challenge += ", error=\"\(code.rawValue)\", error_description=\"\(Self.headerSafe(detail))\""
        }
        if let scope { challenge += ", scope=\"\(scope)\"" }
        return ["WWW-Authenticate": challenge]
    }

    static let missing = BearerChallenge(code: nil, detail: "This endpoint needs an API key: send it as 'Authorization: Bearer KEY'.")
    static let malformedHeader = BearerChallenge(code: .invalidRequest, detail: "The Authorization header must be 'Bearer' followed by one space and the key.")
    static let invalidKey = BearerChallenge(code: .invalidToken, detail: "The API key is malformed, unknown or has been deleted.")
    static let expired = BearerChallenge(code: .invalidToken, detail: "The API key has expired. Roll it or create a new key.")
    static let paused = BearerChallenge(
        code: .invalidToken, detail: "The API key is paused. An admin of its team can resume it under Admin → Team → API Keys.")
    static let leaked = BearerChallenge(
        code: .invalidToken,
        detail: "The API key was revoked because it was reported as leaked. An admin of its team can roll it on the API Keys page to give it a new secret.")
    static func rolled(endedAt: Date) -> BearerChallenge {
        BearerChallenge(
            code: .invalidToken,
            detail: "This is a rolled key's old secret; it stopped working at \(RFC3339.format(endedAt)). Use the key's new secret.")
    }
    /// `teamHolds`: whether the team has the permission (then the key's own choice lacks it).
    static func insufficient(_ permission: Permission, teamHolds: Bool) -> BearerChallenge {
        let detail = teamHolds
            ? "This key's permissions do not include \(permission.rawValue); its team has it, so an admin can widen the key."
            : "This team's permissions do not include \(permission.rawValue)."
        return BearerChallenge(code: .insufficientScope, detail: detail, scope: permission.rawValue)
    }

    /// RFC 6750 allows only printable ASCII (no `"` or `\\`) in `error_description`; the problem body
    /// keeps the full text.
    static func headerSafe(_ text: String) -> String {
        let replaced = text.replacingOccurrences(of: "→", with: ">").replacingOccurrences(of: "“", with: "'")
            .replacingOccurrences(of: "”", with: "'").replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\\", with: "/")
        return String(String.UnicodeScalarView(replaced.unicodeScalars.filter { $0.value >= 0x20 && $0.value < 0x7F }))
    }
}
