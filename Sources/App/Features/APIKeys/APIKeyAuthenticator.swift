import APIKeyCore
import Foundation
import Vapor

/// What the authenticator and the permission check learn about an API request.
struct KeyRequestState: Sendable {
    /// The verified key the request runs as.
    var key: VerifiedKey?
    /// The permission the route checked, for the key's usage record.
    var permissionUsed: Permission?
    /// The event the request was about, if one (for the usage record: which events a key uses).
    var eventUsed: UUID?
}

extension Request {
    private struct KeyStateKey: StorageKey { typealias Value = KeyRequestState }

    var keyState: KeyRequestState {
        get { storage[KeyStateKey.self] ?? KeyRequestState() }
        set { storage[KeyStateKey.self] = newValue }
    }

    /// The key this API request runs as; routes behind `APIKeyAuthenticator` always have one.
    func requireAPIKey() throws -> VerifiedKey {
        guard let key = keyState.key else { throw BearerChallenge.missing }
        return key
    }
}

/// Authenticates `/api/v1` requests by `Authorization: Bearer KEY`.
///
/// Order of checks, cheapest first: header shape, key format and checksum (no I/O — a
/// mistyped or invented key never reaches the database), the client address's count of failed
/// checks (in memory), then one indexed query that reads the presented secret, its key's policy
/// and the team's current permissions. Nothing is cached between requests, so a deletion, a
/// pause, a narrower permission, a fence, the end of a grace period or a leak report takes
/// effect on the next request on every instance.
struct APIKeyAuthenticator: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let metrics = request.application.metrics
        let token: String
        do {
            token = try Self.bearerToken(in: request.headers)
        } catch let challenge as BearerChallenge {
            metrics.auth(challenge.code == nil ? .missing : .malformed)
            throw challenge
        }
        guard let parsed = try? APIKeyToken(parsing: token) else {
            metrics.auth(.malformed)
            throw BearerChallenge.invalidKey
        }
        let limits = request.application.limits
        let address = request.clientAddress
        if let blocked = limits.keyFailures?.isBlocked(ClientAddressChain.limitKey(address)) {
            metrics.auth(.addressLimited)
            throw APIError(
                status: .tooManyRequests,
                detail:
                    "Too many requests with unknown, revoked, expired or paused keys came from this address. Retry after \(blocked.resetSeconds) seconds.",
                headers: ["Retry-After": String(blocked.resetSeconds)])
        }
        let found = try await lookUp(parsed.digest, on: request)
        // From here the key is known: every answer counts in its usage, refusals included.
        var use = UsageRecorder.Use(
            secret: found.secretID, key: found.id, address: address, userAgent: request.headers.first(name: .userAgent),
            status: 200)
        let started = ContinuousClock.now
        do {
            let response = try await admit(found, use: &use, on: request, next: next)
            use.status = response.status.code
            record(use, on: request, since: started, problem: response.status.code >= 400 ? .answered(response) : nil)
            return response
        } catch {
            use.status = ErrorMiddleware.status(of: error).code
            record(use, on: request, since: started, problem: .thrown(error))
            throw error
        }
    }

    private enum Refusal {
        case thrown(any Error)
        case answered(Response)
    }

    /// Counts the request in the key's usage and keeps it in the key's recent requests.
    private func record(
        _ use: UsageRecorder.Use, on request: Request, since started: ContinuousClock.Instant, problem: Refusal?
    ) {
        var use = use
        use.permission = request.keyState.permissionUsed
        use.event = request.keyState.eventUsed
        request.application.usage.record(use)
        let log = request.application.requestLog
        guard log.isOn else { return }
        let told: (title: String, detail: String)? =
            switch problem {
            case .thrown(let error): ErrorMiddleware.problem(of: error)
            case .answered(let response): ProblemDetails.titleAndDetail(in: response)
            case nil: nil
            }
        log.record(
            RequestLog.Entry(
                key: use.key, request: request, at: use.at, latency: ContinuousClock.now - started, status: use.status,
                address: use.address, userAgent: use.userAgent, problem: told))
    }

    /// Refuses a paused, expired, ended or fenced key; otherwise runs the request as the key,
    /// within its rate limit, and adds the key's headers to the answer.
    private func admit(
        _ verified: VerifiedKey, use: inout UsageRecorder.Use, on request: Request, next: any AsyncResponder
    ) async throws -> Response {
        let metrics = request.application.metrics
        use.accepted = false
        try refuseIfUnusable(verified, on: request, now: use.at)
        if let window = verified.window, !window.contains(use.at) {
            // Not counted against the client address: the secret was right, so it guesses
            // nothing (a door app switched on early must not lock out its venue's network).
            request.application.metrics.auth(.outsideWindow)
            throw BearerChallenge.outsideWindow(window.refusal(at: use.at))
        }
        guard verified.allows(address: use.address) else {
            metrics.auth(.fenced)
            throw APIError(
                status: .forbidden,
                detail:
                    "This key may be used only from the client addresses its admins allowed, and this request came from \(use.address).",
                problemType: .addressNotAllowed)
        }
        use.accepted = true
        request.keyState.key = verified
        var headers: HTTPHeaders = [:]
        // Its expiry or the end of its window, whichever comes first.
        if let worksUntil = [verified.expiresAt, verified.window?.until].compactMap({ $0 }).min() {
            headers.add(name: "Kagibag-Key-Expires", value: RFC3339.format(worksUntil))
        }
        metrics.auth(.accepted)
        if let budgets = request.application.limits.api {
            try await spendBudgets(budgets, of: verified, headers: &headers, on: request)
        }
        // Kept on the request too, so that error responses (rendered later) carry them as well.
        request.state.responseHeaders = headers
        let response = try await next.respond(to: request)
        for (name, value) in headers { response.headers.replaceOrAdd(name: name, value: value) }
        return response
    }

    /// Spends one request from the key's budget and, when its team has one, the team's (all of
    /// a key's secrets together: a roll's grace period does not double the budget); a 429 that
    /// names the one that ran out when either has. Both budgets are announced either way.
    private func spendBudgets(
        _ budgets: RequestBudgets, of verified: VerifiedKey, headers: inout HTTPHeaders, on request: Request
    ) async throws {
        let settings = request.application.services.settings
        let keyScope = RequestBudgets.Scope(kind: .key, id: verified.id)
        let keyLimit = settings.keyRateLimit(verified.rateLimit)
        var decisions = [await budgets.spend(keyScope, limit: keyLimit)]
        if let teamLimit = verified.teamRateLimit.map({ min($0, settings.rateCeiling) }) {
            let teamScope = RequestBudgets.Scope(kind: .team, id: verified.teamID)
            if decisions[0].allowed {
                let team = await budgets.spend(teamScope, limit: teamLimit)
                if !team.allowed { budgets.refund(keyScope, spent: decisions[0]) }
                decisions.append(team)
            } else {
                decisions.append(budgets.peek(teamScope, limit: teamLimit))
            }
        }
        headers.add(contentsOf: RequestBudgets.headers(decisions))
        guard let refused = decisions.first(where: { !$0.allowed }) else { return }
        request.application.metrics.auth(.rateLimited)
        headers.replaceOrAdd(name: .retryAfter, value: String(refused.resetSeconds))
        let whose =
            refused.kind == .key
            ? "This key’s budget of \(RequestsPerMinuteRule.format(refused.limit)) requests a minute"
            : "The team’s budget of \(RequestsPerMinuteRule.format(refused.limit)) requests a minute, shared by all its keys,"
        throw APIError(
            status: .tooManyRequests,
            detail:
                "\(whose) is spent on every server together. It refills in \(refused.resetSeconds) seconds; retry after that.",
            headers: headers, extensions: ["budget": refused.kind.rawValue])
    }

    /// The key behind `digest`, or the 401 that says there is none; each failure counts
    /// against the client address.
    private func lookUp(_ digest: String, on request: Request) async throws -> VerifiedKey {
        let metrics = request.application.metrics
        metrics.query(.read, "auth")
        switch try await APIKeyStore.verify(digest: digest, on: request.reads) {
        case .found(let verified): return verified
        case .revoked(let rolledAt?): throw Self.refuse(.revoked, .rolled(endedAt: rolledAt), on: request)
        case .revoked(nil): throw Self.refuse(.revoked, .invalidKey, on: request)
        case .unknown: throw Self.refuse(.unknown, .invalidKey, on: request)
        }
    }

    /// The 401 for a key revoked as leaked, a rolled key's ended old secret, a paused key or an
    /// expired one (the key's status as `KeyState` decides it; an ended secret before the rest).
    private func refuseIfUnusable(_ verified: VerifiedKey, on request: Request, now: Date) throws {
        let status = KeyState.Status(
            revokedAt: verified.revokedAt, expiresAt: verified.expiresAt, pausedAt: verified.pausedAt, now: now)
        if status == .leaked { throw Self.refuse(.leaked, .leaked, on: request) }
        if let ends = verified.secretEndsAt, ends <= now {
            throw Self.refuse(.revoked, .rolled(endedAt: ends), on: request)
        }
        switch status {
        case .expired: throw Self.refuse(.expired, .expired, on: request)
        case .paused: throw Self.refuse(.paused, .paused, on: request)
        case .leaked, .expiring, .active: break
        }
    }

    private static func refuse(_ outcome: Metrics.AuthOutcome, _ challenge: BearerChallenge, on request: Request)
        -> BearerChallenge
    {
        request.application.metrics.auth(outcome)
        _ = request.application.limits.keyFailures?.hit(request.clientAddressLimitKey)
        return challenge
    }

    /// The token of the single `Authorization: Bearer …` header (scheme case-insensitive).
    static func bearerToken(in headers: HTTPHeaders) throws -> String {
        let values = headers[.authorization]
        guard !values.isEmpty else { throw BearerChallenge.missing }
        guard values.count == 1 else { throw BearerChallenge.malformedHeader }
        // Surrounding whitespace is not part of a field value (RFC 9110 §5.5).
        // (By hand: Foundation's `trimmingCharacters` bridges through NSString on every request.)
        var value = Substring(values[0])
        while let first = value.first, first == " " || first == "\t" { value.removeFirst() }
        while let last = value.last, last == " " || last == "\t" { value.removeLast() }
        guard let space = value.firstIndex(of: " ") else {
            // "Bearer" alone is a malformed bearer header; any other lone word is another scheme.
            if value.lowercased() == "bearer" { throw BearerChallenge.malformedHeader }
            throw BearerChallenge.missing
        }
        guard value[..<space].lowercased() == "bearer" else { throw BearerChallenge.missing }
        let token = value[value.index(after: space)...]
        guard !token.isEmpty, !token.contains(where: { $0 == " " || $0 == "\t" || $0 == "," }) else {
            throw BearerChallenge.malformedHeader
        }
        return String(token)
    }
}
