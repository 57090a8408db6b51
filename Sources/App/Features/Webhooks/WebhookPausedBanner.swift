import Fluent
import Vapor

/// Tells a team's admins, on every Admin page, about each webhook endpoint Kagibag paused
/// because every delivery to it failed for 3 days, until it is resumed or deleted.
struct WebhookPausedBanner: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        if let current = request.currentUser?.current, current.role == .admin {
            let paused = try await WebhookEndpoint.query(on: request.db).filter(\.$teamID == current.team.id!)
                .filter(\.$pausedReason == "failing").sort(\.$createdAt).all()
            request.state.banners += paused.map { endpoint in
                Banner(
                    text:
                        "Webhooks to \(endpoint.url) are paused: every delivery failed for 3 days. Fix the receiver, then resume the endpoint and send what it missed again.",
                    link: SitePath.webhook(.value(endpoint.id!)).path, linkText: "Open the endpoint")
            }
        }
        return try await next.respond(to: request)
    }
}
