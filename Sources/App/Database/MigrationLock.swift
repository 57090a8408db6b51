import FluentPostgresDriver
import PostgresNIO
import Vapor

/// Runs migrations under a PostgreSQL advisory lock, so that any number of instances started
/// at the same moment on an empty database migrate it exactly once: the first takes the lock
/// and migrates, the others wait, then find nothing left to do.
///
/// The lock lives on its own connection, outside Fluent's pool, so migrating never competes
/// with it for a pooled connection.
enum MigrationLock {
    /// An arbitrary constant that names "Kagibag's migrations" among advisory locks.
    static let key: Int64 = 0x6B61_6769_6261_6701

    static func withLock(url: String, app: Application, _ body: () async throws -> Void) async throws {
        let configuration = try SQLPostgresConfiguration(url: url).coreConfiguration
        let connection = try await PostgresConnection.connect(
            on: app.eventLoopGroup.any(), configuration: configuration, id: 0, logger: app.logger
        ).get()
        do {
            app.logger.info("waiting for the migration lock")
            try await connection.query("SELECT pg_advisory_lock(\(key))", logger: app.logger)
            try await body()
            try await connection.query("SELECT pg_advisory_unlock(\(key))", logger: app.logger)
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }
}
