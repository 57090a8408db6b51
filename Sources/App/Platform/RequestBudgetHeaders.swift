import Vapor

extension RequestBudgets {
    /// The headers of the IETF draft (draft-ietf-httpapi-ratelimit-headers-10 and later) for the
    /// budgets a request spent from: `RateLimit-Policy` (quota `q` per window `w`) and `RateLimit`
    /// (`r` left, the window ends in `t` seconds), each a Structured Fields list with an item per
    /// budget, named "key" and "team". The three fields of the older drafts (≤ 06) describe the
    /// key's budget, kept for one release and deprecated in docs/api.md.
    static func headers(_ decisions: [Decision]) -> HTTPHeaders {
        guard let key = decisions.first else { return [:] }
        return [
            "RateLimit-Policy": decisions.map { "\"\($0.kind.rawValue)\";q=\($0.limit);w=\($0.windowSeconds)" }
                .joined(separator: ", "),
            "RateLimit": decisions.map { "\"\($0.kind.rawValue)\";r=\($0.remaining);t=\($0.resetSeconds)" }
                .joined(separator: ", "),
            "RateLimit-Limit": String(key.limit), "RateLimit-Remaining": String(key.remaining),
            "RateLimit-Reset": String(key.resetSeconds),
        ]
    }
}
