import Testing
@testable import APIKeyCore

/// Known-answer vectors were computed independently with Python's `zlib.crc32` and `hashlib.sha256`.
@Suite("API key format")
struct APIKeyTokenTests {
    let zeroKey = "kgb_0000000000000000000000000000000000000000" + "1DZFBb"
    let sampleKey = "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n" + "3FjijM"

    @Test("CRC32 matches the IEEE check value and zlib")
    func crc32KnownAnswers() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum(Array("kgb_0000000000000000000000000000000000000000".utf8)) == 0x428E_58A3)
        #expect(CRC32.checksum(Array("kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n".utf8)) == 0xB1AD_89D4)
    }

    @Test("the checksum is the CRC32 in six zero-padded base62 digits")
    func checksumKnownAnswers() {
        #expect(APIKeyToken.checksum(of: "kgb_0000000000000000000000000000000000000000") == "1DZFBb")
        #expect(APIKeyToken.checksum(of: "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n") == "3FjijM")
        #expect(Base62.encode(0, width: 6) == "000000")
        #expect(Base62.encode(UInt64(UInt32.max), width: 6) == "4gfFC3")
    }

    @Test("the digest is lower-case hex SHA-256 of the whole key")
    func digestKnownAnswers() throws {
        #expect(APIKeyToken.digest(of: "") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            try APIKeyToken(parsing: zeroKey).digest
                == "065413b1d6195ea13d0af73a52e37d33b3ee40d833b1fcde2ab047abd97c0365")
        #expect(
            try APIKeyToken(parsing: sampleKey).digest
                == "3cd11b774bca4588d46ff63137ec07db2fc6f9a1e1ac39f999fa8fe3b6cab70d")
    }

    @Test("a generated key has the documented shape and parses back")
    func generatedKeysRoundTrip() throws {
        for _ in 0..<200 {
            let key = APIKeyToken.generate()
            #expect(key.plaintext.count == 50)
            #expect(key.plaintext.hasPrefix("kgb_"))
            #expect(key.plaintext.utf8.dropFirst(4).allSatisfy(Base62.isDigit))
            #expect(try APIKeyToken(parsing: key.plaintext) == key)
        }
    }

    @Test("generated keys do not repeat")
    func generatedKeysAreDistinct() {
        let keys = Set((0..<1000).map { _ in APIKeyToken.generate().plaintext })
        #expect(keys.count == 1000)
    }

    @Test("the preview is the last four characters")
    func preview() throws {
        #expect(try APIKeyToken(parsing: sampleKey).lastFour == "jijM")
    }

    @Test("a key with any one character changed fails its checksum")
    func singleCharacterChangeIsDetected() {
        let bytes = Array(sampleKey.utf8)
        for index in 4..<bytes.count {
            var changed = bytes
            changed[index] = changed[index] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            let candidate = String(decoding: changed, as: UTF8.self)
            #expect(throws: APIKeyToken.ParseError.checksumMismatch) { try APIKeyToken(parsing: candidate) }
        }
    }

    @Test(
        "strings that are not keys are malformed",
        arguments: [
            "", "kgb_", "Bearer", "ghp_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n3FjijM",
            "KGB_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n3FjijM",
            "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n3FjijM ",
            "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8n3Fjij",
            "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8-3FjijM",
            "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8é3Fiji",
            "kgb_aB3dE5gH7jK9mN1pQ3sT5vW7yZ0bC2eF4hJ6kL8\u{0}3FjijM",
        ]
    )
    func malformed(candidate: String) {
        #expect(throws: APIKeyToken.ParseError.malformed) { try APIKeyToken(parsing: candidate) }
    }

    @Test("printing a key never reveals it")
    func descriptionIsRedacted() throws {
        let key = try APIKeyToken(parsing: sampleKey)
        #expect("\(key)" == "kgb_…jijM")
        #expect(!String(describing: key).contains(sampleKey))
    }
}
