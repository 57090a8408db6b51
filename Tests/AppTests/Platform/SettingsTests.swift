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
            // 0 once meant "on every request" and left key expiries and usage pruning undone.
            ("KAGIBAG_LAST_USED_FLUSH_SECONDS", "0"),
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
