import KagibagSQL
import Fluent
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Leaf
import LeafKit
import NIOSSL
import Vapor

/// Sets up the whole application from `settings`; tests call this with their own settings.
public func configure(_ app: Application, settings: Settings) async throws {
    app.http.server.configuration.hostname = settings.hostname
    app.http.server.configuration.port = settings.port
    app.http.server.configuration.idleTimeout =
        settings.idleTimeoutSeconds > 0 ? .seconds(Int64(settings.idleTimeoutSeconds)) : nil
    // The default leaves room for a 10,000-character description in any script; larger bodies get 413.
    app.routes.defaultMaxBodySize = ByteCount(value: settings.maxBodyBytes)

    let metrics = Metrics()
    let load = Load()
    let recorder = UsageRecorder(interval: settings.lastUsedFlushSeconds, metrics: metrics)
    let sqlite = sqlitePath(settings)
    let passwords = try PasswordHasher(
        threads: settings.passwordThreads, queue: settings.passwordQueue, cost: settings.bcryptCost, metrics: metrics)
    app.lifecycle.use(passwords)
    app.services = AppServices(
        settings: settings,
        metrics: metrics,
        limits: Limits(
            api: settings.apiRateLimitPerMinute > 0
                ? RequestBudgets(
                    // Several instances share a PostgreSQL database, so their budgets too; a
                    // SQLite file has one instance, which keeps them in memory.
                    store: sqlite == nil ? SQLBudgetStore(database: { [app] in app.db }) : LocalBudgetStore(),
                    metrics: metrics, logger: app.logger) : nil,
            keyFailures: settings.keyFailuresPerMinute > 0
                ? RateLimiter(limit: settings.keyFailuresPerMinute, window: 60) : nil,
            loginPerAccount: RateLimiter(limit: settings.loginAttemptsPerAccount, window: 15 * 60),
            loginPerAddress: RateLimiter(limit: settings.loginAttemptsPerAddress, window: 15 * 60),
            credentialRevocations: settings.credentialRevocationsPerMinute > 0
                ? RateLimiter(limit: settings.credentialRevocationsPerMinute, window: 60) : nil,
            signupPerAddress: RateLimiter(limit: settings.signupsPerAddress, window: 3600),
            selfRolls: settings.selfRollsPerHour > 0
                ? RateLimiter(limit: settings.selfRollsPerHour, window: 3600) : nil,
            failedCheckIns: settings.failedCheckInsPerMinute > 0
                ? RateLimiter(limit: settings.failedCheckInsPerMinute, window: 60) : nil,
            reportUploads: UploadGate(
                perAddress: 4, total: 32, timeout: .milliseconds(Int64(settings.reportReadTimeoutSeconds * 1000))),
            trustedProxies: settings.trustedProxies,
            proxyHeader: settings.trustedProxyHeader
        ),
        reader: sqlite.map { SQLiteReader(path: $0.path, logger: app.logger, eventLoop: app.eventLoopGroup.any()) },
        writer: sqlite.map { SQLiteWriter(path: $0.path, logger: app.logger, eventLoop: app.eventLoopGroup.any()) }
    )

    app.usage = recorder
    let requestLog = RequestLog(isOn: settings.requestLog, metrics: metrics)
    app.requestLog = requestLog
    app.requestFinder = RequestFinder { requestID, team, db in
        try await RequestLogStore.find(requestID: requestID, team: team, log: requestLog, on: db).map {
            KeyRequestView($0).path
        }
    }
    app.passwordHasher = passwords
    app.secretScanningKeys = try settings.secretScanningKeysFile.map {
        try SecretScanningKeys(file: $0, logger: app.logger)
    }

    try configureDatabase(app, settings, sqlite: sqlite)
    app.migrations.addKagibagMigrations()
    configureViews(app)
    JSONCoders.install()

    let lifetime = TimeInterval(settings.sessionLifetimeHours * 3600)
    app.sessions.use { _ in DatabaseSessionDriver(lifetime: lifetime) }
    app.sessions.configuration = SessionsConfiguration(cookieName: "kagibag_session") { id in
        // A session that was not stored (it held nothing) gets no cookie: a stale one is cleared.
        if id == DatabaseSessionDriver.unsaved { return .expired }
        return HTTPCookies.Value(
            string: id.string, maxAge: Int(lifetime), path: "/",
            isSecure: settings.secureCookies, isHTTPOnly: true, sameSite: .lax
        )
    }

    app.middleware = Middlewares()
    app.middleware.use(
        MiddlewareChain(
            // First, so that no log line carries a request id the client made up.
            RequestIDMiddleware(logLevel: .info),
            MetricsMiddleware(metrics: metrics, load: load),
            SecurityHeadersMiddleware(),
            ErrorMiddleware(webPage: ErrorPage.render),
            try PublicFilesMiddleware(publicDirectory: app.directory.publicDirectory)
        ))

    // Registered after the databases, so that they shut down before them and can finish writing.
    app.lifecycle.use(UsageFlusher(recorder: recorder, requestLog: requestLog))
    if let budgets = app.services.limits.api { app.lifecycle.use(BudgetGiveBack(budgets: budgets)) }
    var jobs: [Housekeeping.Job] = [
        .init(name: "sessions", purge: DatabaseSessionDriver.purgeExpired),
        .init(name: "invitations", purge: InvitationStore.purgeExpired),
        .init(name: "idempotency keys", purge: Idempotency.purgeExpired),
        // Attendees registered through an instance still on the version before ticket codes
        // (during a rolling upgrade) get theirs here; normally there are none.
        .init(name: "ticket codes") { db, _ in
            try await M018AddTicketCodesAndCheckIn.giveTicketCodes(on: db)
            return 0
        },
    ]
    // Key usage is written in batches; each expiry goes to Activity once, by whichever instance
    // gets there first, and ended grace periods are retired, on the same beat; old usage goes
    // about once an hour.
    let flushEvery = Duration.milliseconds(Int64(max(settings.lastUsedFlushSeconds, 1) * 1000))
    jobs.append(.init(name: "key usage flush", every: flushEvery) { db, _ in try await recorder.flush(on: db) })
    jobs.append(.init(name: "request log flush", every: flushEvery) { db, _ in try await requestLog.flush(on: db) })
    jobs.append(
        .init(name: "key expiries", every: flushEvery) { db, _ in try await APIKeySecrets.recordExpiries(on: db) })
    jobs.append(
        .init(name: "key usage", every: .seconds(3600)) { db, _ in
            try await APIKeyUsage.prune(on: db)
            try await RequestLogStore.prune(on: db)
            return 0
        })
    jobs.append(
        .init(name: "rate budgets", every: .seconds(3600)) { db, limit in
            try await SQLBudgetStore.prune(on: db, limit: limit)
        })
    // Delivered and failed webhook messages, and attempts, are kept 30 days.
    jobs.append(.init(name: "webhook messages", every: .seconds(3600), purge: WebhookRetention.purge))
    let housekeeping = Housekeeping(jobs: jobs)
    app.lifecycle.use(housekeeping)
    app.lifecycle.use(WebhookWorker(settings: settings, metrics: metrics, load: load))
    app.asyncCommands.use(TeamCommand(), as: "team")
    app.asyncCommands.use(KeysCommand(), as: "keys")

    try routes(app)

    if sqlite != nil {
        // WAL lets readers proceed while one connection writes, and survives kill -9: a commit
        // is durable once it returns. Writers that meet a lock wait (below) instead of failing;
        // every write transaction starts with its write.
        let mode = try await app.db.sql.raw("PRAGMA journal_mode=WAL").first()?.decode(
            column: "journal_mode", as: String.self)
        app.logger.debug("SQLite journal mode", metadata: ["mode": "\(mode ?? "?")"])
        // The server writes through one connection (`SQLiteOneConnection`), but other processes
        // may write too (`kagibag team`, `kagibag keys`). sqlite-nio's busy handler retries at
        // once, forever, spinning a core while the lock holder waits for its fsync; SQLite's own
        // sleeps 1, 2, 5… ms between tries instead.
        try await app.db.withConnection { try await $0.sql.raw("PRAGMA busy_timeout = 10000").run() }
    }

    if settings.autoMigrate {
        if case .postgres(let url) = settings.database {
            try await MigrationLock.withLock(url: url, app: app) { try await app.autoMigrate() }
        } else {
            try await app.autoMigrate()
        }
        try await housekeeping.runOnce(on: app.db)
    }
}

/// The SQLite file, if the database is SQLite: `:memory:` is a throwaway file (sqlite-kit's own
/// in-memory databases are temporary files too, as several connections must share one), so
/// that the read-only connections of `SQLiteReader` can open it as well.
private func sqlitePath(_ settings: Settings) -> (path: String, throwaway: Bool)? {
    switch settings.database {
    case .sqliteFile(let path): (path, false)
    case .sqliteMemory:
        (
            FileManager.default.temporaryDirectory.appendingPathComponent("kagibag-\(UUID().uuidString).sqlite").path,
            true
        )
    case .postgres: nil
    }
}

private func configureDatabase(_ app: Application, _ settings: Settings, sqlite: (path: String, throwaway: Bool)?)
    throws
{
    switch settings.database {
    case .sqliteFile, .sqliteMemory:
        guard let sqlite else { return }
        app.databases.use(
            SQLiteOneConnection(wrapped: DatabaseConfigurationFactory.sqlite(.file(sqlite.path)).make()), as: .sqlite)
        app.lifecycle.use(
            SQLiteFiles(
                path: sqlite.path, throwaway: sqlite.throwaway, reader: app.services.reader,
                writer: app.services.writer))
    case .postgres(let url):
        var configuration: SQLPostgresConfiguration
        do {
            configuration = try SQLPostgresConfiguration(url: url)
        } catch {
            throw SettingsError(name: "DATABASE_URL", problem: "is not a valid PostgreSQL URL")
        }
        configuration.searchPath = nil
        app.databases.use(
            .postgres(
                configuration: configuration, maxConnectionsPerEventLoop: settings.databasePoolSize,
                connectionPoolTimeout: .seconds(10)),
            as: .psql
        )
    }
}

/// Templates and static files ship inside the module's resource bundle, so the server finds
/// them whatever its working directory (the SQLite file lives in the working directory).
private func configureViews(_ app: Application) {
    let bundled = Bundle.module.url(forResource: "Resources", withExtension: nil)!.path
    let resources = bundled.hasSuffix("/") ? bundled : bundled + "/"
    app.directory.resourcesDirectory = resources
    app.directory.viewsDirectory = resources + "Views/"
    app.directory.publicDirectory = resources + "Public/"
    app.logger.debug("templates and static files", metadata: ["directory": "\(resources)"])
    app.views.use(.leaf)
    // Sandboxed to the views folder; not `.toVisibleFiles`, which would refuse the build folder
    // (`.build/…`) the templates ship in.
    app.leaf.sources = .singleSource(
        NIOLeafFiles(
            fileio: app.fileio, limits: [.toSandbox, .requireExtensions],
            sandboxDirectory: app.directory.viewsDirectory, viewDirectory: app.directory.viewsDirectory
        ))
    app.leaf.cache.isEnabled = app.environment.isRelease
}
