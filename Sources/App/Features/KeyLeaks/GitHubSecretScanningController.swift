import Crypto
import Vapor

/// `POST /api/v1/secret-scanning/github`: GitHub's secret-scanning partner endpoint. GitHub
/// posts the Kagibag keys it found in public places, signed with one of its published keys;
/// each live one is revoked, and GitHub gets its feedback array back.
///
/// Cheapest refusals first: a body that says it is over the limit (413), missing signature
/// headers or an unknown key identifier (401), then the whole body is read (through
/// `UploadGate`: a few at once per address, within 10 seconds) and its signature checked
/// (401), then parsed (400). Nothing reaches the database before the signature holds.
struct GitHubSecretScanningController: RouteCollection {
    /// GitHub's documented match is 187 bytes; with a long file path in its URL, about 500.
    /// 256 KiB holds 500 such matches, more than one push's worth, and bounds what a stalled
    /// upload can pin (1 MiB before: 300 stalled uploads took the server from 58 to 390 MiB).
    static let bodyLimit = 256 * 1024
    static let maximumMatches = 1000
    static let identifierHeader = "GitHub-Public-Key-Identifier"
    static let signatureHeader = "GitHub-Public-Key-Signature"

    func boot(routes: any RoutesBuilder) throws {
        routes.on(.POST, "secret-scanning", "github", body: .stream, use: report)
    }

    /// One match as GitHub sends it; fields besides these are ignored.
    struct Match: Decodable {
        let token: String
        let type: String?
        let url: String?
        let source: String?
    }

    struct Feedback: Content {
        let tokenRaw: String
        let tokenType: String
        let label: String

        enum CodingKeys: String, CodingKey {
            case tokenRaw = "token_raw"
            case tokenType = "token_type"
            case label
        }
    }

    @Sendable func report(req: Request) async throws -> Response {
        let metrics = req.application.metrics
        func refused(_ reason: Metrics.LeakRefusal, _ status: HTTPStatus, _ detail: String) -> APIError {
            metrics.leakReportRefused(.github, reason)
            let headers: HTTPHeaders =
                status == .unauthorized ? ["WWW-Authenticate": #"GitHub-Public-Key-Signature realm="kagibag""#] : [:]
            return APIError(status: status, detail: detail, headers: headers)
        }
        if let length = req.headers.first(name: .contentLength).flatMap(Int.init), length > Self.bodyLimit {
            throw refused(.tooLarge, .payloadTooLarge, "The request body must be at most \(Self.bodyLimit) bytes.")
        }
        guard let keys = req.application.secretScanningKeys else {
            throw refused(
                .unknownKey, .unauthorized,
                "This server has no GitHub public keys to check reports with (KAGIBAG_SECRET_SCANNING_KEYS is not set)."
            )
        }
        let signature = req.headers.first(name: Self.signatureHeader)
        let key: P256.Signing.PublicKey
        do {
            key = try keys.key(identifier: req.headers.first(name: Self.identifierHeader), signature: signature)
        } catch .unsigned {
            throw refused(
                .unsigned, .unauthorized,
                "Reports must be signed: send \(Self.identifierHeader) and \(Self.signatureHeader).")
        } catch {
            throw refused(
                .unknownKey, .unauthorized,
                "\(Self.identifierHeader) names no key this server knows. Its operator may need to refresh GitHub's public keys."
            )
        }
        let body: ByteBuffer
        do {
            body = try await req.application.limits.reportUploads.collect(req, limit: Self.bodyLimit)
        } catch let error as APIError where error.status == .payloadTooLarge {
            metrics.leakReportRefused(.github, .tooLarge)
            throw error
        }
        let bytes = Data(buffer: body)
        do {
            try SecretScanningKeys.verify(signature: signature ?? "", over: bytes, with: key)
        } catch {
            throw refused(
                .badSignature, .unauthorized,
                "\(Self.signatureHeader) is not a valid signature of this body by the named key.")
        }
        let matches: [Match]
        do {
            matches = try JSONDecoder().decode([Match].self, from: bytes)
        } catch {
            throw refused(
                .malformed, .badRequest,
                "The body must be a JSON array of objects with a string token (and type, url, source).")
        }
        guard matches.count <= Self.maximumMatches else {
            throw refused(
                .malformed, .badRequest,
                "A report may hold at most \(Self.maximumMatches) matches; this one has \(matches.count).")
        }
        let outcomes = try await KeyLeakStore.revoke(
            matches.map { KeyLeakStore.Report(token: $0.token, url: $0.url, source: $0.source) }, via: .github,
            metrics: metrics, on: req.db)
        let revoked = outcomes.filter(\.revokedNow).count
        if revoked > 0 {
            req.logger.notice("api keys revoked as leaked", metadata: ["via": "github", "keys": "\(revoked)"])
        }
        // GitHub's feedback format requires the token back (token_raw); nothing else ever echoes one.
        let feedback = zip(matches, outcomes).map { match, outcome in
            Feedback(
                tokenRaw: match.token, tokenType: match.type ?? "",
                label: outcome.live ? "true_positive" : "false_positive")
        }
        return try await feedback.encodeResponse(status: .ok, for: req)
    }
}
