import App
import ConsoleKit
import Foundation
import Logging
import NIOCore
import NIOPosix
import Vapor

@main
enum Entrypoint {
    static func main() async throws {
        // Swift concurrency runs on NIO's event loops instead of its own thread pool: a request's
        // async handler then continues on the thread that read it, without a hand-off to another
        // thread and back (docs/performance.md). Must run before any task is created; tests keep
        // the default executor. Blocking work never runs on these threads: bcrypt has its own
        // (`PasswordHasher`), files go through NIO's thread pool.
        let onEventLoops = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        var env = try Environment.detect()
        // Answered before anything opens a database (or creates a SQLite file).
        let plan = CommandLinePlan.decide(Array(env.arguments.dropFirst()))
        if case .answer(let text, let code) = plan {
            (code == 0 ? FileHandle.standardOutput : FileHandle.standardError).write(Data(text.utf8))
            exit(code)
        }
        try LoggingSystem.bootstrap(from: &env)

        var settings: Settings
        do {
            settings = try Settings.load()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(1)
        }
        // Only `serve` migrates on its own; `migrate` does it itself, the operator commands never.
        if case .run(let autoMigrate) = plan { settings.autoMigrate = settings.autoMigrate && autoMigrate }

        let app = try await Application.make(env)
        app.logger.debug("Swift concurrency executor", metadata: ["nio_event_loops": "\(onEventLoops)"])
        do {
            try await configure(app, settings: settings)
            try await app.execute()
            // After SIGTERM: stop accepting and let in-flight requests finish *before* the
            // shutdown handlers flush last-used times and close the database pools.
            await app.server.shutdown()
        } catch let error as SettingsError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            try? await app.asyncShutdown()
            exit(1)
        } catch let error as CommandError {
            // A wrong argument to a command: one line, not a crash report.
            FileHandle.standardError.write(Data("kagibag: \(error)\n".utf8))
            try? await app.asyncShutdown()
            exit(64)
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            exit(1)
        }
        try await app.asyncShutdown()
    }
}
