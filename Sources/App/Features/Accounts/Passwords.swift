import Crypto
import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import Vapor

#if canImport(Glibc)
    import Glibc
#endif

/// Hashes and checks passwords — bcrypt over a SHA-256 pre-hash — on threads of its own.
///
/// bcrypt at cost 12 takes a few hundred milliseconds of CPU. On the application's thread pool
/// it queued in front of SQLite's queries, so a burst of anonymous sign-ups stalled every
/// request. Here it gets `threads` threads, which run at a lower priority than the event loops,
/// and room for `queue` more checks to wait; past that, `Busy` at once (sign-up and login
/// answer 503 with `Retry-After`) instead of a queue that grows with the burst.
///
/// bcrypt ignores everything after 72 bytes; hashing first (base64, 44 bytes) keeps every
/// character of a long passphrase significant without weakening short passwords.
final class PasswordHasher: LifecycleHandler, Sendable {
    static let minimumLength = 10
    static let maximumLength = 1000
    /// Seconds a refused client is told to wait: a few checks' time.
    static let retryAfterSeconds = 1

    /// Every thread is busy and the queue is full.
    struct Busy: Error {}

    let cost: Int
    /// Checks running or waiting, at most.
    let capacity: Int
    private let pool: NIOThreadPool
    private let inFlight = NIOLockedValueBox(0)
    /// Where the work is counted (`kagibag_password_work_total`, `…_in_flight` on /metrics).
    private let metrics: Metrics?
    /// A hash at the configured cost, for logins that have no account to check against.
    private let dummyHash: String

    init(threads: Int, queue: Int, cost: Int, metrics: Metrics? = nil) throws {
        self.cost = cost
        self.metrics = metrics
        capacity = threads + queue
        pool = NIOThreadPool(numberOfThreads: threads)
        pool.start()
        dummyHash = try Bcrypt.hash(Self.prehash("not-a-real-password"), cost: cost)
    }

    func hash(_ password: String) async throws -> String {
        let cost = self.cost
        return try await run { try Bcrypt.hash(Self.prehash(password), cost: cost) }
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is none (unknown
    /// email, malformed email, over-long password): exactly one bcrypt at the configured cost
    /// either way, so that how long a failure takes tells nothing about why it failed.
    func verify(_ password: String, against hash: String?) async throws -> Bool {
        let candidate = hash ?? dummyHash
        let matches = try await run { try Bcrypt.verify(Self.prehash(password), created: candidate) }
        return matches && hash != nil
    }

    /// Runs `work` on one of the hashing threads, or throws `Busy` without waiting.
    func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        let admitted = inFlight.withLockedValue { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard admitted else {
            metrics?.passwordBusyRefusal()
            throw Busy()
        }
        metrics?.passwordWork(admitted: true)
        defer {
            inFlight.withLockedValue { $0 -= 1 }
            metrics?.passwordWork(admitted: false)
        }
        return try await pool.runIfActive {
            Self.yieldToEventLoops()
            return try work()
        }
    }

    func shutdownAsync(_ application: Application) async {
        try? await pool.shutdownGracefully()
    }

    /// Lowers the calling thread's priority (nice 10; on Linux the nice value is per thread), so
    /// that with every core busy the event loops, and the database's threads, are served first.
    private static func yieldToEventLoops() {
        #if os(Linux)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        #endif
    }

    /// The SHA-256 of the password in base64: 44 bytes, inside bcrypt's 72.
    private static func prehash(_ password: String) -> String {
        Data(SHA256.hash(data: Array(password.utf8))).base64EncodedString()
    }
}

extension Application {
    /// bcrypt on threads of its own, with a bounded queue (set by `configure`).
    var passwordHasher: PasswordHasher {
        get { feature(PasswordHasher.self) }
        set { storage[FeatureService<PasswordHasher>.self] = newValue }
    }
}

extension Request {
    var passwordHasher: PasswordHasher { application.passwordHasher }
}

extension PasswordHasher {
    /// A new password within the hasher's bounds (taken as typed: spaces count).
    static func checkNew(_ raw: String?, into validation: inout Validation) -> String? {
        let value = raw ?? ""
        let message =
            value.count < minimumLength
            ? "Password must be at least \(minimumLength) characters."
            : value.count > maximumLength ? "Password must be at most \(maximumLength) characters." : nil
        guard let message else { return value }
        validation.add(FieldProblem(field: "password", message: message))
        return nil
    }
}
