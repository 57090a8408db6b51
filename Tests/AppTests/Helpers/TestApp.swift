import FluentPostgresDriver
import Foundation
import SQLKit
import Testing
import VaporTesting

@testable import App

/// Runs `body` against a freshly configured and migrated Kagibag.
///
/// In-memory SQLite by default. With `DATABASE_URL` set (CI's second pass) each test gets a
/// brand-new PostgreSQL database instead, so tests stay independent and can run in parallel.
func withKagibag(
    _ adjust: (inout Settings) -> Void = { _ in },
    _ body: (Application) async throws -> Void
) async throws {
    var settings = Settings()
    settings.bcryptCost = 4
    settings.lastUsedFlushSeconds = 0
    settings.database = .sqliteMemory
    if let url = ProcessInfo.processInfo.environment["DATABASE_URL"] {
        settings.database = .postgres(url: try await TestDatabases.create(from: url))
    }
    adjust(&settings)
    let app = try await Application.make(.testing)
    do {
        try await configure(app, settings: settings)
        try await body(app)
    } catch {
        try await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
}

/// Whether this run uses PostgreSQL (for the rare assertion that differs).
var testingOnPostgres: Bool { ProcessInfo.processInfo.environment["DATABASE_URL"] != nil }

enum TestDatabases {
    /// Creates an empty database next to the one `url` names and returns its URL.
    static func create(from url: String) async throws -> String {
        let name = "kagibag_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let admin = try await Application.make(.testing)
        do {
            admin.databases.use(.postgres(configuration: try SQLPostgresConfiguration(url: url), maxConnectionsPerEventLoop: 1), as: .psql)
            try await (admin.db as! any SQLDatabase).raw("CREATE DATABASE \(unsafeRaw: name)").run()
        } catch {
            try await admin.asyncShutdown()
            throw error
        }
        try await admin.asyncShutdown()
        guard var components = URLComponents(string: url) else { throw TestDatabaseError.badURL }
        components.path = "/" + name
        return components.string!
    }

    enum TestDatabaseError: Error { case badURL }
}

extension Application {
    /// Runs a `kagibag` command line (without the program name) against this application.
    func runCommand(_ arguments: [String]) async throws {
        var context = CommandContext(console: console, input: CommandInput(arguments: ["kagibag"] + arguments))
        context.application = self
        try await console.run(asyncCommands.group(), with: context)
    }
}
