import Foundation
import Synchronization

/// How busy this instance is: the HTTP requests it is answering now (counted by
/// `MetricsMiddleware`). Background work that can wait, such as webhook deliveries, gives way
/// while it is high, so that a burst of API writes is not slowed by the deliveries it causes.
final class Load: Sendable {
    private let inFlight = Atomic<Int>(0)

    /// Requests in flight from which the instance counts as saturated: a few per core are
    /// already a queue (an API request takes well under a millisecond of CPU).
    let saturation: Int

    init(saturation: Int = 4 * ProcessInfo.processInfo.activeProcessorCount) {
        self.saturation = saturation
    }

    var requestsInFlight: Int { inFlight.load(ordering: .relaxed) }
    var isSaturated: Bool { requestsInFlight >= saturation }

    func begin() { inFlight.add(1, ordering: .relaxed) }
    func end() { inFlight.subtract(1, ordering: .relaxed) }
}
