import Fluent
import Vapor

/// The team's rules for all its keys: the longest lifetime a key may have, and the requests a
/// minute all of them together may make.
extension TeamController {
    struct KeyPolicyForm: Content {
        var maxKeyLifetimeDays: String?

        enum CodingKeys: String, CodingKey { case maxKeyLifetimeDays = "max_key_lifetime_days" }
    }

    /// The longest lifetime new and rolled keys may get; existing keys keep theirs until rolled.
    @Sendable func setKeyPolicy(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "change the team's key policy")
        let text = try req.content.decode(KeyPolicyForm.self).maxKeyLifetimeDays ?? ""
        let days = Int(text)
        guard text.isEmpty || TeamStore.keyLifetimeLimits.contains(days) else {
            return try await TeamPage.render(
                req, error: "Choose the maximum key lifetime from the list.", status: .unprocessableEntity)
        }
        let team = current.team
        guard team.maxKeyLifetimeDays != days else { return req.redirect(to: SitePath.team.path) }
        team.maxKeyLifetimeDays = days
        let summary =
            days.map { "set the maximum API key lifetime to \($0) days" } ?? "removed the maximum API key lifetime"
        try await Self.asAdmin(req, to: "change the team's key policy") { db, actor, teamID in
            try await team.save(on: db)
            try await Audit.record(.keyPolicyChanged, team: teamID, by: actor, summary, on: db)
        }
        Notice.set(
            days.map {
                "New and rolled keys now live at most \($0) days. Existing keys keep their expiry until rolled."
            }
                ?? "Keys may now live without an expiry.", on: req)
        return req.redirect(to: SitePath.team.path)
    }

    struct RequestBudgetForm: Content {
        var rateLimit: String?

        enum CodingKeys: String, CodingKey { case rateLimit = "rate_limit_per_minute" }
    }

    /// Requests a minute that all the team's keys may make together, on every server; empty
    /// removes the team-wide budget (each key keeps its own). Applies to the next request.
    @Sendable func setRequestBudget(req: Request) async throws -> Response {
        let action = "change the team's request budget"
        let current = try req.requireTeamAdmin(to: action)
        let typed = try req.content.decode(RequestBudgetForm.self).rateLimit
        var validation = Validation()
        let limit = req.application.services.settings.teamRateRule.check(
            typed, InputField("rate_limit_per_minute", label: "Requests per minute"), into: &validation)
        if let problem = validation.problems.first {
            return try await TeamPage.render(
                req, budgetError: problem.message, budgetValue: typed, status: .unprocessableEntity)
        }
        let team = current.team
        guard team.rateLimitPerMinute != limit else { return req.redirect(to: SitePath.team.path) }
        let before = team.rateLimitPerMinute
        team.rateLimitPerMinute = limit
        let summary =
            limit.map {
                "set the team's request budget to \(RequestsPerMinuteRule.format($0)) a minute"
                    + (before.map { " (was \(RequestsPerMinuteRule.format($0)))" } ?? "")
            } ?? "removed the team's request budget"
        try await Self.asAdmin(req, to: action) { db, actor, teamID in
            try await team.save(on: db)
            try await Audit.record(.keyPolicyChanged, team: teamID, by: actor, summary, on: db)
        }
        Notice.set(
            limit.map {
                "All of the team’s keys together may now make \(RequestsPerMinuteRule.format($0)) requests a minute, from their next request."
            } ?? "The team has no shared request budget now; each key keeps its own.", on: req)
        return req.redirect(to: SitePath.team.path)
    }
}
