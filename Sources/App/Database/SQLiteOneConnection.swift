import Fluent
import NIOCore

/// Fluent's SQLite database with every request on the connection pool of one event loop.
///
/// Fluent keeps a pool per event loop, so two event loops meant two connections taking turns at
/// SQLite's single write lock: the one that found it taken slept in SQLite's busy handler (1, 2,
/// 5 … 50 ms) while the other took it again and again, and POSTs under load waited up to 170 ms
/// at the 99th percentile. One connection queues writers in the pool instead, in order, and
/// SQLite never sees two of them. The hot reads do not come here (`SQLiteReader`).
struct SQLiteOneConnection: DatabaseConfiguration {
    var wrapped: any DatabaseConfiguration

    var middleware: [any AnyModelMiddleware] {
        get { wrapped.middleware }
        set { wrapped.middleware = newValue }
    }

    func makeDriver(for databases: Databases) -> any DatabaseDriver {
        Driver(wrapped: wrapped.makeDriver(for: databases), eventLoop: databases.eventLoopGroup.next())
    }

    private struct Driver: DatabaseDriver {
        let wrapped: any DatabaseDriver
        let eventLoop: any EventLoop

        func makeDatabase(with context: DatabaseContext) -> any Database {
            wrapped.makeDatabase(
                with: DatabaseContext(
                    configuration: context.configuration, logger: context.logger, eventLoop: eventLoop,
                    history: context.history, pageSizeLimit: context.pageSizeLimit, shouldTrace: context.shouldTrace))
        }

        func shutdown() { wrapped.shutdown() }
        func shutdownAsync() async { await wrapped.shutdownAsync() }
    }
}
