import App
import Foundation
import Logging
import Vapor

@main
enum Entrypoint {
    static func main() async throws {
        var env = try Environment.detect()
        try LoggingSystem.bootstrap(from: &env)

        let settings: Settings
        do {
            settings = try Settings.load()
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            exit(1)
        }

        let app = try await Application.make(env)
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
        } catch {
            app.logger.report(error: error)
            try? await app.asyncShutdown()
            throw error
        }
        try await app.asyncShutdown()
    }
}
