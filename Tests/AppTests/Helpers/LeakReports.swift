import Crypto
import Foundation
import Testing
import VaporTesting

@testable import App

/// A stand-in for GitHub's secret-scanning signing key: a P-256 key made for the test, and the
/// public-key document GitHub would publish for it, saved to a file for the server to read.
struct PartnerKeys {
    let identifier: String
    let privateKey: P256.Signing.PrivateKey
    let file: String

    init(identifier: String = "90a421169f0a406205f1563a953312f0be898d3c7b6c06b681aa86a874555f4a") throws {
        self.identifier = identifier
        privateKey = P256.Signing.PrivateKey()
        file =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "kagibag-partner-keys-\(UUID().uuidString).json"
            ).path
        try write(keys: [(identifier, privateKey.publicKey)])
    }

    /// Writes GitHub's document with `keys` to the file.
    func write(keys: [(String, P256.Signing.PublicKey)]) throws {
        let entries = keys.map {
            ["key_identifier": $0.0, "key": $0.1.pemRepresentation, "is_current": true] as [String: Any]
        }
        let data = try JSONSerialization.data(withJSONObject: ["public_keys": entries])
        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
    }

    /// Base64 of the DER signature of `body`, as in GitHub-Public-Key-Signature.
    func sign(_ body: Data) throws -> String {
        try privateKey.signature(for: body).derRepresentation.base64EncodedString()
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: file)
    }
}

extension Application {
    /// POSTs `body` to GitHub's partner endpoint, signed by `keys` unless `headers` say otherwise.
    func reportToGitHubEndpoint(
        _ body: Data, signedBy keys: PartnerKeys?, headers extra: [(String, String)] = []
    ) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.contentType = .json
        if let keys {
            headers.add(name: GitHubSecretScanningController.identifierHeader, value: keys.identifier)
            headers.add(name: GitHubSecretScanningController.signatureHeader, value: try keys.sign(body))
        }
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        return try await testing().sendRequest(
            .POST, "/api/v1/secret-scanning/github", headers: headers, body: ByteBuffer(data: body))
    }

    /// GitHub's payload for `tokens`, each found at a commit URL.
    static func gitHubPayload(_ tokens: [String], url: String = "https://github.com/acme/crm/blob/abc123/.env") throws
        -> Data
    {
        try JSONSerialization.data(
            withJSONObject: tokens.map { ["token": $0, "type": "kagibag_api_key", "url": url, "source": "commit"] })
    }

    /// POSTs a raw body to the public revocation endpoint, from `address` when given.
    func reportToPublicEndpoint(
        raw: String, contentType: HTTPMediaType? = .json, headers extra: [(String, String)] = []
    ) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        if let contentType { headers.contentType = contentType }
        headers.add(name: .accept, value: "application/json")
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        return try await testing().sendRequest(
            .POST, "/api/v1/credentials/revoke", headers: headers, body: ByteBuffer(string: raw))
    }

    func reportToPublicEndpoint(_ credentials: [String]) async throws -> TestingHTTPResponse {
        let data = try JSONSerialization.data(withJSONObject: ["credentials": credentials])
        return try await reportToPublicEndpoint(raw: String(decoding: data, as: UTF8.self))
    }

    /// The value of one series of /metrics (0 when absent).
    func metric(_ series: String) async throws -> Double {
        let text = String(buffer: try await testing().sendRequest(.GET, "/metrics").body)
        return text.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap {
            Double($0.split(separator: " ").last!)
        } ?? 0
    }

    /// How many lookups of reported keys reached the database so far.
    func leakLookups() async throws -> Double {
        try await metric(#"kagibag_db_queries_total{kind="read",purpose="leak_lookup"}"#)
    }
}
