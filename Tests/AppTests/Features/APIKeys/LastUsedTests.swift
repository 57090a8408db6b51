import APIKeyCore
import Fluent
import Testing
import VaporTesting

@testable import App

@Suite("Last used: recorded in memory, written in batches")
struct LastUsedTests {
    @Test("requests do not write; a flush records the latest use")
    func batchedWrites() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let key = try await admin.createKey(named: "CRM sync")
            for _ in 0..<5 { #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok) }
            #expect(try await APIKey.query(on: app.db).first()?.lastUsedAt == nil)
            let written = try await app.usage.flush(on: app.db)
            #expect(written == 1)
            let lastUsed = try #require(try await APIKey.query(on: app.db).first()?.lastUsedAt)
            #expect(abs(lastUsed.timeIntervalSinceNow) < 60)
            try await admin.get("/admin/team/api-keys")
            #expect(!admin.lastPage.contains(">Never<"))
            #expect(admin.lastPage.contains("just now"))
        }
    }

    @Test("an older batch never overwrites a newer last-used time")
    func latestWins() async throws {
        try await withKagibag({ $0.lastUsedFlushSeconds = 3600 }) { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            _ = try await admin.createKey(named: "CRM sync")
            let keyID = try #require(try await APIKey.query(on: app.db).first()?.id)
            let secretID = try #require(try await APIKeySecret.query(on: app.db).first()?.id)
            let newer = Date(timeIntervalSince1970: 2_000_000_000)
            let older = Date(timeIntervalSince1970: 1_900_000_000)
            let instanceA = UsageRecorder(interval: 3600), instanceB = UsageRecorder(interval: 3600)
            instanceA.record(.init(secret: secretID, key: keyID, at: newer, address: "192.0.2.1", status: 200))
            instanceB.record(.init(secret: secretID, key: keyID, at: older, address: "192.0.2.2", status: 200))
            try await instanceA.flush(on: app.db)
            try await instanceB.flush(on: app.db)
            let stored = try #require(try await APIKey.find(keyID, on: app.db)?.lastUsedAt)
            #expect(abs(stored.timeIntervalSince(newer)) < 1)
        }
    }

    @Test("shutting down writes what is pending")
    func flushAtShutdown() async throws {
        var settings = Settings()
        settings.bcryptCost = 4
        settings.lastUsedFlushSeconds = 3600
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("kagibag-\(UUID()).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        settings.database = .sqliteFile(path: path)
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"] {
            settings.database = .postgres(url: try await TestDatabases.create(from: url).url)
        }
        var key = ""
        let first = try await Application.make(.testing)
        try await configure(first, settings: settings)
        let admin = Browser(first)
        try await admin.signUp(Browser.newAccount())
        key = try await admin.createKey(named: "CRM sync")
        #expect(try await first.api("/api/v1/organizer/events", key: key).status == .ok)
        try await first.asyncShutdown()

        let second = try await Application.make(.testing)
        try await configure(second, settings: settings)
        let stored = try await APIKey.query(on: second.db).first()?.lastUsedAt
        try await second.asyncShutdown()
        #expect(stored != nil)
    }
}
