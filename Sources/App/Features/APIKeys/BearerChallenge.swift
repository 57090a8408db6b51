import Vapor

/// An API authentication or authorization failure, with its RFC 6750 challenge.
struct BearerChallenge: AbortError, ProblemTyped {
    enum Code: String {
        case invalidRequest = "invalid_request"
        case invalidToken = "invalid_token"
        case insufficientScope = "insufficient_scope"
    }

    let code: Code?
    let detail: String
    let scope: String?
    let problemType: ProblemType?
    /// The `WWW-Authenticate` value, built once: the shared challenges (`invalidKey` …) answer
    /// every refused request, an anonymous burst included.
    let challenge: String

    init(code: Code?, detail: String, scope: String? = nil, type: ProblemType) {
        self.code = code
        self.detail = detail
        self.scope = scope
        problemType = type
        var challenge = "Bearer realm=\"\(Self.realm)\""
        if let code {
            challenge += ", error=\"\(code.rawValue)\", error_description=\"\(Self.headerSafe(detail))\""
        }
        if let scope { challenge += ", scope=\"\(scope)\"" }
        self.challenge = challenge
    }

    static let realm = "kagibag"

    var status: HTTPResponseStatus {
        switch code {
        case nil, .invalidToken: .unauthorized
        case .invalidRequest: .badRequest
        case .insufficientScope: .forbidden
        }
    }

    var reason: String { detail }

    var headers: HTTPHeaders { ["WWW-Authenticate": challenge] }

    static let missing = BearerChallenge(
        code: nil, detail: "This endpoint needs an API key: send it as 'Authorization: Bearer KEY'.", type: .missingKey)
    static let malformedHeader = BearerChallenge(
        code: .invalidRequest, detail: "The Authorization header must be 'Bearer' followed by one space and the key.",
        type: .malformedAuthorization)
    static let invalidKey = BearerChallenge(
        code: .invalidToken, detail: "The API key is malformed, unknown or has been deleted.", type: .invalidKey)
    static let expired = BearerChallenge(
        code: .invalidToken, detail: "The API key has expired. Roll it or create a new key.", type: .keyExpired)
    static let paused = BearerChallenge(
        code: .invalidToken,
        detail: "The API key is paused. An admin of its team can resume it under Admin → Team → API Keys.",
        type: .keyPaused)
    static let leaked = BearerChallenge(
        code: .invalidToken,
        detail:
            "The API key was revoked because it was reported as leaked. An admin of its team can roll it on the API Keys page to give it a new secret.",
        type: .keyLeaked)
    static func rolled(endedAt: Date) -> BearerChallenge {
        BearerChallenge(
            code: .invalidToken,
            detail:
                "This is a rolled key's old secret; it stopped working at \(RFC3339.format(endedAt)). Use the key's new secret.",
            type: .secretEnded)
    }
    /// A key that works only around its events, outside that time (`detail` says when it works).
    static func outsideWindow(_ detail: String) -> BearerChallenge {
        BearerChallenge(code: .invalidToken, detail: detail, type: .outsideWindow)
    }

    /// `teamHolds`: whether the team has the permission (then the key's own choice lacks it).
    static func insufficient(_ permission: Permission, teamHolds: Bool) -> BearerChallenge {
        let detail =
            teamHolds
            ? "This key's permissions do not include \(permission.rawValue); its team has it, so an admin can widen the key."
            : "This team's permissions do not include \(permission.rawValue)."
        return BearerChallenge(
            code: .insufficientScope, detail: detail, scope: permission.rawValue, type: .insufficientPermission)
    }

    /// RFC 6750 allows only printable ASCII (no `"` or `\\`) in `error_description`; the problem body
    /// keeps the full text. One pass over the scalars: Foundation's `replacingOccurrences` took
    /// 14 % of the server's CPU answering junk keys when this ran per refusal.
    static func headerSafe(_ text: String) -> String {
        var safe = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar {
            case "→": safe.append(">")
            case "“", "”", "\"": safe.append("'")
            case "\\": safe.append("/")
            case " "..."~": safe.append(scalar)
            default: continue
            }
        }
        return String(safe)
    }
}
