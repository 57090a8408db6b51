import Foundation
import Testing

@testable import App

@Suite("Settings from the environment")
struct SettingsTests {
    @Test("with nothing set, Kagibag serves 127.0.0.1:8080 from kagibag.sqlite")
    func defaults() throws {
        let settings = try Settings.load(from: [:])
        #expect(settings.hostname == "127.0.0.1")
        #expect(settings.port == 8080)
        #expect(settings.database == .sqliteFile(path: "kagibag.sqlite"))
    }

    @Test("DATABASE_URL selects PostgreSQL")
    func postgres() throws {
        let settings = try Settings.load(from: ["DATABASE_URL": "postgres://u@localhost/db"])
        #expect(settings.database == .postgres(url: "postgres://u@localhost/db"))
    }

    @Test(
        "a bad setting names itself in one line",
        arguments: [
            ("KAGIBAG_PORT", "eighty"), ("KAGIBAG_PORT", "70000"), ("DATABASE_URL", "mysql://x"),
            ("KAGIBAG_SECURE_COOKIES", "maybe"), ("KAGIBAG_BCRYPT_COST", "3"), ("KAGIBAG_SQLITE_PATH", " "),
            ("KAGIBAG_LAST_USED_FLUSH_SECONDS", "-1"),
        ]
    )
    func badSettingIsNamed(name: String, value: String) {
        #expect {
            _ = try Settings.load(from: [name: value])
        } throws: { error in
            let message = (error as? SettingsError)?.description ?? ""
            return message.contains(name) && !message.contains("\n")
        }
    }
}

@Suite("RFC 3339 dates")
struct RFC3339Tests {
    @Test("formatting and parsing agree with known instants")
    func knownAnswers() throws {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 951_782_400.25)) == "2000-02-29T00:00:00.250Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_800_000_000)) == "2027-01-15T08:00:00Z")
        #expect(RFC3339.parse("2000-02-29T01:00:00.250+01:00") == Date(timeIntervalSince1970: 951_782_400.25))
        #expect(RFC3339.parse("1970-01-01t00:00:00z") == Date(timeIntervalSince1970: 0))
        for text in ["2001-02-29T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-01T00:00:00", "2027-01-01T00:00:00+1:00", "x"] {
            #expect(RFC3339.parse(text) == nil, "\(text)")
        }
    }
}
