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
            challenge += ", error=\"\(code.rawValue)\", error_description=\"\(detail.replacingOccurrences(of: "\"", with: "'"))\""
        }
        if let scope { challenge += ", scope=\"\(scope)\"" }
        return ["WWW-Authenticate": challenge]
    }

    static let missing = BearerChallenge(code: nil, detail: "This endpoint needs an API key: send it as 'Authorization: Bearer KEY'.")
    static let malformedHeader = BearerChallenge(code: .invalidRequest, detail: "The Authorization header must be 'Bearer' followed by one space and the key.")
    static let invalidKey = BearerChallenge(code: .invalidToken, detail: "The API key is malformed, unknown or has been deleted.")
    static let expired = BearerChallenge(code: .invalidToken, detail: "The API key has expired. Create a new key.")
    static func insufficient(_ permission: Permission) -> BearerChallenge {
        BearerChallenge(code: .insufficientScope, detail: "This team's permissions do not include \(permission.rawValue).", scope: permission.rawValue)
    }
}
