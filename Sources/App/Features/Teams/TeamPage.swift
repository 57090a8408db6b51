import Fluent
import Vapor

/// Admin → Team: the team's name, permissions, members and pending invitations, with the
/// add-member form.
enum TeamPage {
    struct Context: Encodable {
        struct LifetimeOption: Encodable {
            let value, label: String
            let selected: Bool
        }
        struct TeamView: Encodable {
            let name, slug, keyLifetime: String
            /// The team-wide budget as shown ("No team-wide budget"), as typed in its field, and
            /// what the field may hold.
            let budget, budgetValue, budgetHint: String
            let budgetsOn: Bool
            let permissions: [String]
            let hasPermissions: Bool
            let keyLifetimes: [LifetimeOption]
        }
        struct MemberView: Encodable {
            let id, name, email, role, roleLabel, rolePath, removePath: String
            let isSelf: Bool
        }
        struct InvitationView: Encodable {
            let id, email, role, invitedBy, withdrawPath: String
            /// The address to send the invitee (`https://…/join/…`), for the Copy button.
            let link: String?
            let expires: TimeView
        }
        let page: PageContext
        let team: TeamView
        let members: [MemberView]
        let invitations: [InvitationView]
        let hasInvitations: Bool
        /// The card with the first things to do, after sign-up until dismissed.
        let nextSteps: Bool
        /// The only admin of a team with other members: leaving would orphan it, so the page says
        /// what to do first instead of offering a button that is refused after confirming.
        let soleAdmin: Bool
        /// A problem with something else on the page, shown at its top.
        let error: String?
        /// The add-member form's problem (next to its field, linked from the top) and value.
        let errors: FormErrors
        let addEmail: String?
    }

    static func render(
        _ req: Request, error: String? = nil, addError: String? = nil, addEmail: String? = nil,
        budgetError: String? = nil, budgetValue: String? = nil, status: HTTPStatus = .ok
    ) async throws -> Response {
        let current = try req.requireTeam()
        // Re-read the team: permissions may have been changed from the command line a moment ago.
        guard let team = try await Team.find(current.team.id, on: req.db) else { throw Abort(.notFound) }
        let permissions = team.permissions.sorted().map(\.rawValue)
        let members = try await TeamStore.members(of: team.id!, on: req.db).map { membership in
            Context.MemberView(
                id: membership.id!.lowercasedString, name: membership.user.name, email: membership.user.email,
                role: membership.role.rawValue, roleLabel: membership.role.label,
                rolePath: SitePath.teamMemberRole(.value(membership.id!)).path,
                removePath: SitePath.teamMemberRemove(.value(membership.id!)).path,
                isSelf: membership.$user.id == current.membership.$user.id
            )
        }
        let isAdmin = current.role == .admin
        let now = Date()
        let base = PublicURL.base(for: req)
        let settings = req.application.services.settings
        let invitations =
            isAdmin
            ? try await InvitationStore.pending(team: team.id!, on: req.db).map {
                Context.InvitationView(
                    id: $0.id!.lowercasedString, email: $0.email, role: $0.role.label, invitedBy: $0.invitedByName,
                    withdrawPath: SitePath.teamInvitationWithdraw(.value($0.id!)).path,
                    link: $0.linkToken.map { base + SitePath.join($0).path },
                    expires: TimeView($0.expiresAt, now: now))
            }
            : []
        let context = Context(
            page: PageContext(req, title: team.name, section: "team", trail: []),
            team: .init(
                name: team.name, slug: team.slug,
                keyLifetime: team.maxKeyLifetimeDays.map(LifetimeLabel.of(days:)) ?? "No limit",
                budget: team.rateLimitPerMinute.map { "\(RequestsPerMinuteRule.format($0)) requests a minute" }
                    ?? "No team-wide budget",
                budgetValue: String((budgetValue ?? team.rateLimitPerMinute.map(String.init) ?? "").prefix(20)),
                budgetHint:
                    "Shared by all the team’s keys, on every server together; each key keeps its own budget too (by default \(RequestsPerMinuteRule.format(settings.apiRateLimitPerMinute)) a minute). Up to \(RequestsPerMinuteRule.format(settings.rateCeiling)); empty: none.",
                budgetsOn: settings.apiRateLimitPerMinute > 0,
                permissions: permissions, hasPermissions: !permissions.isEmpty,
                keyLifetimes: TeamStore.keyLifetimeLimits.map { days in
                    .init(
                        value: days.map(String.init) ?? "",
                        label: days.map(LifetimeLabel.of(days:)) ?? "No limit",
                        selected: days == team.maxKeyLifetimeDays)
                }),
            members: members, invitations: invitations, hasInvitations: !invitations.isEmpty,
            nextSteps: isAdmin && NextSteps.isOffered(on: req),
            soleAdmin: isAdmin && members.count > 1 && members.filter { $0.role == TeamRole.admin.rawValue }.count == 1,
            error: error,
            errors: FormErrors(
                (addError.map { [FieldProblem(field: "email", message: $0)] } ?? [])
                    + (budgetError.map { [FieldProblem(field: "rate_limit_per_minute", message: $0)] } ?? []),
                ids: ["email": "member-email", "rate_limit_per_minute": "team-rate-limit"]),
            addEmail: addEmail.map { String($0.prefix(300)) }
        )
        return try await req.renderPage("team", context, status: status)
    }

    /// "1 API key", "3 API keys".
    static func keys(_ count: Int) -> String {
        "\(count) API key\(count == 1 ? "" : "s")"
    }
}
