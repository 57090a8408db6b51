import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
import Vapor

/// GitHub's public keys for secret-scanning partners, from the file named by
/// `KAGIBAG_SECRET_SCANNING_KEYS`: the JSON document GitHub publishes
/// (`{"public_keys": [{"key_identifier": …, "key": "-----BEGIN PUBLIC KEY-----…", "is_current": …}]}`),
/// saved by the operator. Kagibag never fetches it itself.
///
/// Read at start-up (a bad file stops start-up with one line), then again whenever the file's
/// modification time or size changes, so the operator can refresh it without a restart; a
/// refreshed file that cannot be used is logged and the keys read before stay in use.
final class SecretScanningKeys: Sendable {
    /// Why a request's signature was not accepted.
    enum Refusal: Error, Equatable {
        case unsigned, unknownKey, badSignature
    }

    private struct Loaded: Sendable {
        var keys: [String: P256.Signing.PublicKey]
        var stamp: FileStamp?
    }

    private struct FileStamp: Equatable, Sendable {
        let modified: Date?
        let size: Int?
    }

    let file: String
    private let logger: Logger
    private let loaded: NIOLockedValueBox<Loaded>

    init(file: String, logger: Logger) throws(SettingsError) {
        self.file = file
        self.logger = logger
        let stamp = Self.stamp(of: file)
        do {
            let keys = try Self.read(file)
            loaded = NIOLockedValueBox(Loaded(keys: keys, stamp: stamp))
        } catch {
            throw SettingsError(name: "KAGIBAG_SECRET_SCANNING_KEYS", problem: error.message)
        }
    }

    /// The identifiers of the keys in use, for logs and tests.
    var identifiers: [String] { loaded.withLockedValue { $0.keys.keys.sorted() } }

    /// The key GitHub says it signed with, from its headers; read before the body, so that an
    /// unsigned request or one naming an unknown key costs nothing more.
    func key(identifier: String?, signature: String?) throws(Refusal) -> P256.Signing.PublicKey {
        guard let identifier, let signature, !identifier.isEmpty, !signature.isEmpty else { throw .unsigned }
        guard identifier.utf8.count <= 200, let key = key(identifier) else { throw .unknownKey }
        return key
    }

    /// Checks `signature` (base64 of an ASN.1 DER ECDSA P-256 signature, as GitHub sends it)
    /// over the raw `body` with `key`.
    static func verify(signature: String, over body: some DataProtocol, with key: P256.Signing.PublicKey)
        throws(Refusal)
    {
        guard let der = Data(base64Encoded: signature),
            let parsed = try? P256.Signing.ECDSASignature(derRepresentation: der),
            key.isValidSignature(parsed, for: body)
        else { throw .badSignature }
    }

    /// The key named `identifier`, after re-reading the file if it changed.
    private func key(_ identifier: String) -> P256.Signing.PublicKey? {
        let stamp = Self.stamp(of: file)
        return loaded.withLockedValue { loaded in
            if stamp != loaded.stamp {
                loaded.stamp = stamp  // tried once per change, whatever the outcome
                do {
                    loaded.keys = try Self.read(file)
                    logger.notice(
                        "secret-scanning public keys re-read", metadata: ["keys": "\(loaded.keys.keys.sorted())"])
                } catch {
                    logger.error(
                        "secret-scanning public keys changed but cannot be used; keeping the ones read before",
                        metadata: ["file": "\(file)", "problem": "\((error as? FileProblem)?.message ?? "unreadable")"])
                }
            }
            return loaded.keys[identifier]
        }
    }

    private static func stamp(of file: String) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file) else { return nil }
        return FileStamp(
            modified: attributes[.modificationDate] as? Date, size: (attributes[.size] as? NSNumber)?.intValue)
    }

    struct FileProblem: Error {
        let message: String
    }

    private struct Document: Decodable {
        struct Key: Decodable {
            let key_identifier: String
            let key: String
        }

        let public_keys: [Key]
    }

    /// The P-256 keys of the document in `file`, by identifier.
    static func read(_ file: String) throws(FileProblem) -> [String: P256.Signing.PublicKey] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw FileProblem(message: "cannot read the file \(file)")
        }
        return try parse(data)
    }

    static func parse(_ data: Data) throws(FileProblem) -> [String: P256.Signing.PublicKey] {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw FileProblem(
                message:
                    "is not GitHub's public-key document ({\"public_keys\": [{\"key_identifier\": …, \"key\": …}]})")
        }
        var keys: [String: P256.Signing.PublicKey] = [:]
        for entry in document.public_keys {
            guard let key = try? P256.Signing.PublicKey(pemRepresentation: entry.key) else {
                throw FileProblem(
                    message: "the key \(entry.key_identifier.prefix(80)) is not an ECDSA P-256 public key in PEM form")
            }
            keys[entry.key_identifier] = key
        }
        guard !keys.isEmpty else { throw FileProblem(message: "holds no public keys") }
        return keys
    }
}

extension Application {
    /// GitHub's secret-scanning public keys, when `KAGIBAG_SECRET_SCANNING_KEYS` names a file.
    var secretScanningKeys: SecretScanningKeys? {
        get { storage[FeatureService<SecretScanningKeys>.self] }
        set { storage[FeatureService<SecretScanningKeys>.self] = newValue }
    }
}
