import Foundation

extension Settings {
    /// What admins may type as a key's budget (empty: the default).
    var keyRateRule: RequestsPerMinuteRule {
        RequestsPerMinuteRule(
            ceiling: rateCeiling,
            empty: "the server’s default of \(RequestsPerMinuteRule.format(apiRateLimitPerMinute))",
            stopHint: " To stop a key for a while, pause it.")
    }

    /// What admins may type as a team's budget (empty: none).
    var teamRateRule: RequestsPerMinuteRule {
        RequestsPerMinuteRule(ceiling: rateCeiling, empty: "no team-wide budget")
    }

    /// The budget a key spends from: its own (never above today's ceiling, which an operator may
    /// have lowered since) or the default.
    func keyRateLimit(_ own: Int?) -> Int { min(own ?? apiRateLimitPerMinute, rateCeiling) }

    /// The ceiling, never below the default (settings made in code, as tests do, may set only the
    /// default; the environment reader refuses a lower ceiling).
    var rateCeiling: Int { max(apiRateLimitCeiling, apiRateLimitPerMinute) }
}
