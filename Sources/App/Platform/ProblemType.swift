/// Every kind of problem the API answers with, by a stable `type` URI (RFC 9457 §3.1.1):
/// `/docs/api#<slug>`, a section of the API reference this server serves, where each is
/// explained with what a client should do. A client branches on `type`, never on English text.
/// Slugs are a contract: add new ones, never rename one.
enum ProblemType: String, CaseIterable, Sendable {
    case badRequest = "bad-request"
    case missingKey = "missing-key"
    case malformedAuthorization = "malformed-authorization"
    case invalidKey = "invalid-key"
    case keyPaused = "key-paused"
    case keyExpired = "key-expired"
    case secretEnded = "secret-ended"
    case keyLeaked = "key-leaked"
    case outsideWindow = "outside-window"
    case insufficientPermission = "insufficient-permission"
    case addressNotAllowed = "address-not-allowed"
    case forbidden
    case notFound = "not-found"
    case methodNotAllowed = "method-not-allowed"
    case conflict
    case alreadyCheckedIn = "already-checked-in"
    case registrationCancelled = "cancelled"
    case eventCancelled = "event-cancelled"
    case preconditionFailed = "precondition-failed"
    case tooLarge = "too-large"
    case unsupportedMediaType = "unsupported-media-type"
    case invalid
    case rateLimited = "rate-limited"
    case serverError = "server-error"
    case unavailable

    /// The `type` member: relative to the server, as RFC 9457 allows.
    var uri: String { "/docs/api#" + rawValue }

    /// The type of a problem answered with `status` when nothing more specific is known.
    static func of(status: Int) -> ProblemType? {
        switch status {
        case 400: .badRequest
        case 401: .invalidKey
        case 403: .forbidden
        case 404: .notFound
        case 405: .methodNotAllowed
        case 409: .conflict
        case 412: .preconditionFailed
        case 413: .tooLarge
        case 415: .unsupportedMediaType
        case 422: .invalid
        case 429: .rateLimited
        case 503: .unavailable
        case 500...599: .serverError
        // The rest a client can cause (408, 414, 431 …): the request could not be taken as sent.
        case 400...499: .badRequest
        default: nil
        }
    }

    var status: Int {
        switch self {
        case .badRequest, .malformedAuthorization: 400
        case .missingKey, .invalidKey, .keyPaused, .keyExpired, .secretEnded, .keyLeaked, .outsideWindow: 401
        case .insufficientPermission, .addressNotAllowed, .forbidden: 403
        case .notFound: 404
        case .methodNotAllowed: 405
        case .conflict, .alreadyCheckedIn, .registrationCancelled, .eventCancelled: 409
        case .preconditionFailed: 412
        case .tooLarge: 413
        case .unsupportedMediaType: 415
        case .invalid: 422
        case .rateLimited: 429
        case .serverError: 500
        case .unavailable: 503
        }
    }

    /// What it means, and what the client should do (the API reference shows both).
    var explanation: (meaning: String, action: String) {
        switch self {
        case .badRequest:
            (
                "The request could not be read: malformed JSON, a wrong type, an unknown field or query parameter, a bad cursor or Idempotency-Key. `field` names the culprit when there is one.",
                "Fix the request; sending it again unchanged gets the same answer."
            )
        case .missingKey:
            ("No API key was sent (or another scheme than Bearer).", "Send `Authorization: Bearer KEY`.")
        case .malformedAuthorization:
            ("The Authorization header is not `Bearer` followed by one space and the key.", "Fix the header.")
        case .invalidKey:
            ("The key is malformed, unknown or deleted.", "Stop using it; ask an admin of the team for a new key.")
        case .keyPaused:
            ("An admin paused the key.", "Wait until an admin resumes it; retrying does not help before.")
        case .keyExpired:
            ("The key reached its expiry.", "Use the key's new secret if it was rolled, or ask an admin for a new key.")
        case .secretEnded:
            ("This is a rolled key's old secret, whose grace period ended.", "Use the key's new secret.")
        case .keyLeaked:
            (
                "The key was revoked because it was reported as leaked.",
                "An admin must roll it; then use the new secret."
            )
        case .outsideWindow:
            (
                "The key works only around its events, and this is outside that time; `detail` says when it works.",
                "Retry within the window."
            )
        case .insufficientPermission:
            (
                "The key may not do this: the team or the key lacks the permission the challenge's `scope` names.",
                "Ask an admin to grant the permission (or widen the key)."
            )
        case .addressNotAllowed:
            (
                "The key may be used only from the addresses its admins allowed, and this request came from another.",
                "Call from an allowed address, or ask an admin to allow this one."
            )
        case .forbidden:
            (
                "The key may not do this for another reason that `detail` gives (a key limited to selected events cannot create events; a key not allowed to roll itself).",
                "Use another key, or ask an admin."
            )
        case .notFound:
            (
                "There is no such resource in the key's team (or within the key's reach): another team's id answers the same.",
                "Check the id; do not retry."
            )
        case .methodNotAllowed:
            ("The path exists but does not take this method.", "Use a method the API reference lists for the path.")
        case .conflict:
            (
                "The change conflicts with the current state: the event is full, the email is already registered, the capacity is below the places taken, the key's Idempotency-Key is in use for another request…",
                "Read the current state, then decide; `detail` says what conflicts."
            )
        case .alreadyCheckedIn:
            (
                "The ticket was checked in before; `checked_in_at` says when.",
                "Tell the person at the door; do not retry."
            )
        case .registrationCancelled:
            ("The ticket's registration was cancelled.", "Tell the person at the door.")
        case .eventCancelled:
            ("The event is cancelled; nobody can be checked in.", "Tell the person at the door.")
        case .preconditionFailed:
            (
                "`If-Match` names none of the resource's current ETag: someone changed it since you read it. Nothing changed; the answer's `ETag` names the current version.",
                "Read it again and reapply your change."
            )
        case .tooLarge:
            ("The body is larger than the server takes (64 KiB for the API).", "Send less.")
        case .unsupportedMediaType:
            ("The body is not `application/json`.", "Send JSON with `Content-Type: application/json`.")
        case .invalid:
            (
                "The body is readable but breaks the rules; `errors` lists every field at fault and `field` the first.",
                "Fix the fields; the same request gets the same answer."
            )
        case .rateLimited:
            (
                "Too many requests: the key's limit per minute, or this address's failed key checks.",
                "Wait the `Retry-After` seconds, then retry."
            )
        case .serverError:
            (
                "Something went wrong on the server's side; it was logged.",
                "Retry later (with the same Idempotency-Key for a POST); quote the `request_id` if it persists."
            )
        case .unavailable:
            (
                "The server is busy or its database is not answering (503); or, from the shipped nginx, no instance could be reached (502) or answered in time (504).",
                "Retry after `Retry-After` seconds (with the same Idempotency-Key for a POST)."
            )
        }
    }
}

/// An error that knows its problem type more precisely than its status does.
protocol ProblemTyped {
    var problemType: ProblemType? { get }
}
