import FluentPostgresDriver
import NIOPosix
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
    // 0 (the default here): usage is written after every request, so a test sees "last used"
    // at once; a test that sets an interval sees the server's batches.
    settings.lastUsedFlushSeconds = 0
    // Tests run in parallel, each with its own pool: keep them small (CI's PostgreSQL also
    // allows 1,000 connections: 248 tests start at once).
    settings.databasePoolSize = 2
    settings.database = .sqliteMemory
    // Webhook tests run the worker's steps themselves; no app of the suite polls on its own.
    settings.webhookPollSeconds = 3600
    let baseURL = ProcessInfo.processInfo.environment["DATABASE_URL"]
    var database: String?
    if let baseURL {
        let created = try await TestDatabases.create(from: baseURL)
        database = created.name
        settings.database = .postgres(url: created.url)
    }
    adjust(&settings)
    let flushEachRequest = settings.lastUsedFlushSeconds == 0
    if flushEachRequest { settings.lastUsedFlushSeconds = 3600 }
    let app = try await Application.make(.testing)
    // Every application's blocking work (SQLite statements, file reads) on threads of its own:
    // with the process-wide pool of 2 threads that tests share by default, one app's SQLite
    // connection sleeping in its busy handler (busy_timeout, while a CLI-style second
    // connection holds the lock) would hold a thread every other app's tests need.
    app.threadPool = NIOThreadPool(numberOfThreads: 4)
    do {
        try await configure(app, settings: settings)
        if flushEachRequest { app.middleware.use(FlushUsageAfterEachRequest()) }
        try await body(app)
    } catch {
        try await app.asyncShutdown()
        throw error
    }
    try await app.asyncShutdown()
    if let baseURL, let database { try await TestDatabases.drop(database, from: baseURL) }
}

/// Whether this run uses PostgreSQL (for the rare assertion that differs).
var testingOnPostgres: Bool { ProcessInfo.processInfo.environment["DATABASE_URL"] != nil }

enum TestDatabases {
    /// Creates an empty database next to the one `url` names and returns its name and URL.
    static func create(from url: String) async throws -> (name: String, url: String) {
        let name = "kagibag_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await execute("CREATE DATABASE \(name)", on: url)
        guard var components = URLComponents(string: url) else { throw TestDatabaseError.badURL }
        components.path = "/" + name
        return (name, components.string!)
    }

    static func drop(_ name: String, from url: String) async throws {
        try await execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)", on: url)
    }

    private static func execute(_ statement: String, on url: String) async throws {
        let admin = try await Application.make(.testing)
        do {
            admin.databases.use(
                .postgres(configuration: try SQLPostgresConfiguration(url: url), maxConnectionsPerEventLoop: 1),
                as: .psql)
            try await (admin.db as! any SQLDatabase).raw("\(unsafeRaw: statement)").run()
        } catch {
            try await admin.asyncShutdown()
            throw error
        }
        try await admin.asyncShutdown()
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

/// Writes the key usage a request recorded before its answer leaves (a test's stand-in for the
/// server's periodic flush). A batch that cannot be written stays pending, as on the server.
struct FlushUsageAfterEachRequest: AsyncMiddleware {
    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let result: Result<Response, any Error>
        do {
            result = .success(try await next.respond(to: request))
        } catch {
            result = .failure(error)
        }
        _ = try? await request.application.usage.flush(on: request.db)
        return try result.get()
    }
}
