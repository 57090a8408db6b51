import Vapor

/// `POST /api/v1/credentials/revoke`: whoever finds a Kagibag key (in a repository, a
/// pastebin, a CI log) can kill it, without an account and without learning anything.
///
/// The answer is always `202` with how many strings were received, never which were keys: the
/// endpoint must not become an oracle for guessing keys. Limited per client address.
struct CredentialRevocationController: RouteCollection {
    static let maximumCredentials = 100
    /// Keys are 50 characters; a little more room for other strings a finder may paste.
    static let maximumLength = 100
    /// 100 strings of 100 characters fit, even escaped; a 1 MB string does not.
    static let bodyLimit = 32 * 1024

    func boot(routes: any RoutesBuilder) throws {
        routes.grouped(JSONBodyMiddleware()).on(.POST, "credentials", "revoke", body: .stream, use: revoke)
    }

    struct RevocationRequest: Decodable {
        let credentials: [String]

        enum CodingKeys: String, CodingKey { case credentials }

        init(from decoder: any Decoder) throws {
            try decoder.rejectUnknownKeys(allowed: ["credentials"])
            credentials = try decoder.container(keyedBy: CodingKeys.self).decode([String].self, forKey: .credentials)
        }
    }

    struct Receipt: Content {
        let received: Int
    }

    /// What the contract allows as a credential: 1 to 100 printable ASCII characters, no spaces.
    static func looksLikeCredential(_ text: String) -> Bool {
        let bytes = text.utf8
        return (1...maximumLength).contains(bytes.count) && bytes.allSatisfy { (0x21...0x7E).contains($0) }
    }

    /// Revokes every key among `credentials` (1–100 strings); answers 202 with their count.
    @Sendable func revoke(req: Request) async throws -> Response {
        let metrics = req.application.metrics
        func refused(_ reason: Metrics.LeakRefusal) { metrics.leakReportRefused(.publicEndpoint, reason) }
        if let limiter = req.application.limits.credentialRevocations {
            let decision = limiter.hit(req.clientAddressLimitKey)
            guard decision.allowed else {
                refused(.rateLimited)
                throw APIError(
                    status: .tooManyRequests,
                    detail:
                        "This address sent more than \(decision.limit) revocation requests in a minute. Retry after \(decision.resetSeconds) seconds.",
                    headers: ["Retry-After": String(decision.resetSeconds)])
            }
        }
        let body: ByteBuffer
        let request: RevocationRequest
        do {
            body = try await req.collectedBody(limit: Self.bodyLimit)
        } catch {
            refused(.tooLarge)
            throw error
        }
        do {
            request = try JSONDecoder().decode(RevocationRequest.self, from: Data(buffer: body))
            guard (1...Self.maximumCredentials).contains(request.credentials.count) else {
                throw DomainError.invalid([
                    .init(
                        field: "credentials",
                        message:
                            "credentials must hold 1 to \(Self.maximumCredentials) strings; this request has \(request.credentials.count)."
                    )
                ])
            }
            if let bad = request.credentials.firstIndex(where: { !Self.looksLikeCredential($0) }) {
                throw DomainError.invalid([
                    .init(
                        field: "credentials.\(bad)",
                        message:
                            "Each credential must be 1 to \(Self.maximumLength) printable ASCII characters without spaces, as keys are; credentials.\(bad) is not."
                    )
                ])
            }
        } catch {
            refused(.malformed)
            throw error
        }
        let outcomes = try await KeyLeakStore.revoke(
            request.credentials.map { KeyLeakStore.Report(token: $0) }, via: .publicEndpoint, metrics: metrics,
            on: req.db)
        let revoked = outcomes.filter(\.revokedNow).count
        if revoked > 0 {
            req.logger.notice("api keys revoked as leaked", metadata: ["via": "public endpoint", "keys": "\(revoked)"])
        }
        return try await Receipt(received: request.credentials.count).response(.accepted, for: req)
    }
}
