import APIKeyCore
import Vapor

/// `/api/v1/organizer/key`: what a key knows about itself, and a key rolling its own secret.
struct KeyInfoController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("key", use: keyInfo)
        routes.post("key", "roll", use: roll)
        routes.get("key", "usage", use: usage)
        routes.get("key", "requests", use: requests)
    }

    /// The calling key's newest requests (up to 200, 7 days), as its page's Recent requests shows
    /// them: what this instance answered at once, other instances' after their next flush.
    @Sendable func requests(req: Request) async throws -> KeyRequestsDTO {
        let key = try req.requireAPIKey()
        var status: RequestLog.StatusFilter?
        if let text = try? req.query.get(String.self, at: "status") {
            guard let filter = RequestLog.StatusFilter(text) else {
                throw APIError.badRequest(
                    "status must be failures, 2xx, 3xx, 4xx, 5xx or a status code such as 422.", field: "status")
            }
            status = filter
        }
        let limit = try Self.wholeNumber("limit", in: 1...RequestLog.perKey, of: req) ?? 50
        let log = req.application.requestLog
        let entries = try await RequestLogStore.recent(
            of: key.id, status: status, limit: limit, pending: log.pending(for: key.id), on: req.db)
        return KeyRequestsDTO(data: entries.map(KeyRequestDTO.init), recorded: log.isOn)
    }

    /// The calling key's requests per day (as far as the last batch was written, every 15 s by
    /// default), so an integration can report its own usage.
    @Sendable func usage(req: Request) async throws -> KeyUsageDTO {
        let key = try req.requireAPIKey()
        let count = try Self.wholeNumber("days", in: 1...APIKeyUsage.retentionDays, of: req) ?? 30
        return KeyUsageDTO(try await APIKeyUsage.days(of: key.id, count: count, on: req.db))
    }

    /// The query parameter `name` as a whole number within `range` (nil when absent; 400 otherwise).
    private static func wholeNumber(_ name: String, in range: ClosedRange<Int>, of req: Request) throws -> Int? {
        guard let text = try? req.query.get(String.self, at: name) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw APIError.badRequest(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound).", field: name)
        }
        return value
    }

    /// Never the key itself: its name and last four characters.
    @Sendable func keyInfo(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        return KeyInfoDTO(
            key, events: key.eventsScoped ? try await EventScopeStore.eventIDs(of: key.id, on: req.db) : nil,
            settings: req.application.services.settings
        ).response()
    }

    /// A new secret for the calling key (shown once), the old one working for `grace_seconds`
    /// more. Only for keys whose admins allowed it, and only with the key's current secret: an
    /// old secret in its grace period (perhaps the leaked one the roll was for) cannot roll the
    /// key and end the new one. A retry with the same `Idempotency-Key` creates no second
    /// secret and cannot show the first again (it is not stored): it gets 409.
    @Sendable func roll(req: Request) async throws -> Response {
        let verified = try req.requireAPIKey()
        guard verified.mayRollItself else {
            throw APIError(
                status: .forbidden,
                detail:
                    "This key may not roll itself. An admin of its team can allow it (“May roll itself”) or roll it under Admin → Team → API Keys."
            )
        }
        guard verified.secretEndsAt == nil else { throw Self.onlyCurrentSecret }
        let body = try req.content.decode(SelfRollRequest.self)
        let grace = try APIKeySecrets.grace(body.graceSeconds, fromChoices: false)
        let key = try await APIKeyStore.find(id: verified.id, team: verified.teamID, on: req.db)
        guard let team = try await TeamStore.team(slugOrID: verified.teamID.uuidString, on: req.db) else {
            throw BearerChallenge.invalidKey
        }
        let expiresAt = try APIKeyPolicy.selfRollExpiry(days: body.expiresInDays, current: key.expiresAt, team: team)
        let token = APIKeyToken.generate()
        let actor = try req.auditActor()
        let summary =
            "rolled itself (…\(key.lastFour) → …\(token.lastFour))" + APIKeyLifecycleController.graceSummary(grace)
        let remembered: Idempotency.Remembered = { _ in
            let problem = ProblemDetails(
                title: "Conflict", status: 409,
                detail:
                    "This key was already rolled with this Idempotency-Key; the new secret (…\(token.lastFour)) was shown only in that response and is not stored. If it was lost, ask an admin of the team to roll the key."
            )
            return (.conflict, problem.response().body.string ?? "")
        }
        let limiter = req.application.limits.selfRolls
        return try await Idempotency.run(req, teamID: verified.teamID, scope: verified.id, remembering: remembered) {
            db in
            // Counted where a roll would really happen: a replayed retry is not a roll.
            if let limiter {
                let decision = limiter.hit(verified.id.uuidString)
                guard decision.allowed else {
                    throw APIError(
                        status: .tooManyRequests,
                        detail:
                            "This key rolled itself \(decision.limit) times in the last hour, the most it may. Retry after \(decision.resetSeconds) seconds.",
                        headers: ["Retry-After": String(decision.resetSeconds)])
                }
            }
            let ends: Date?
            do {
                ends = try await APIKeySecrets.roll(
                    key, to: token, grace: grace, expiresAt: .some(expiresAt), replacing: .secret(verified.secretID),
                    audit: { db, _ in
                        try await Audit.record(
                            .keyRolled, team: verified.teamID, by: actor, summary, on: db)
                        try await KeyWebhook.record(
                            .apiKeyRolled, key: verified.id, name: key.name, lastFour: token.lastFour,
                            team: verified.teamID, by: actor.name, on: db)
                    }, on: db)
            } catch {
                limiter?.release(verified.id.uuidString)
                if error is APIKeySecrets.NotCurrent { throw Self.onlyCurrentSecret }
                throw error
            }
            req.logger.info(
                "api key rolled itself", metadata: ["key": "\(verified.id)", "preview": "\(token.lastFour)"])
            let dto = RolledKeyDTO(
                key: token.plaintext, preview: "…" + token.lastFour, oldSecretExpiresAt: Nullable(ends),
                expiresAt: Nullable(expiresAt))
            return try await dto.response(.created, for: req)
        }
    }

    /// An old secret (or one another roll replaced a moment ago) presented to roll the key.
    static let onlyCurrentSecret = APIError(
        status: .forbidden,
        detail:
            "Only the key's current secret can roll it. This is an old secret that works only until its grace period ends; "
            + "use the new secret, or ask an admin of the team to roll the key.")
}
