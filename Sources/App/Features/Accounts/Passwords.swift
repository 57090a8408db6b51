import Crypto
import Foundation
import Vapor

/// bcrypt over a SHA-256 pre-hash.
///
/// bcrypt silently ignores everything after 72 bytes; hashing first (base64, 44 bytes) keeps
/// every character of a long passphrase significant without weakening short passwords.
enum Passwords {
    static let minimumLength = 10
    static let maximumLength = 1000

    static func hash(_ password: String, on request: Request) async throws -> String {
        try await request.password.async.hash(prehash(password))
    }

    static func verify(_ password: String, against hash: String, on request: Request) async throws -> Bool {
        try await request.password.async.verify(prehash(password), created: hash)
    }

    /// Spends the same time as a real check, so that a login for an unknown email cannot be
    /// told apart by its speed.
    static func verifyAgainstDummy(_ password: String, on request: Request) async throws {
        _ = try await request.password.async.verify(prehash(password), created: request.application.services.dummyPasswordHash)
    }

    /// A hash at the configured cost, made once at start-up, so a check against it takes as long
    /// as a real one.
    static func makeDummyHash(cost: Int) throws -> String {
        try Bcrypt.hash(prehash("not-a-real-password"), cost: cost)
    }

    private static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Array(password.utf8))).base64EncodedString()
    }
}
