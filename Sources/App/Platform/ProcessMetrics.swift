import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// What the process itself costs, in Prometheus's standard names (`process_resident_memory_bytes`,
/// `process_open_fds`, `process_cpu_seconds_total`, `process_start_time_seconds`), read from
/// `/proc/self` when `/metrics` is scraped; and `kagibag_build_info{version,commit}`, so that a
/// dashboard shows which release each instance runs.
final class ProcessMetrics: Sendable {
    private let residentMemory, openFiles, startTime: Gauge
    private let cpuSeconds: Counter
    /// CPU seconds already counted (the counter only moves forward by the difference).
    private let counted = NIOLockedValueBox<Double>(0)
    private static let started = Date()

    init(registry: PrometheusCollectorRegistry, version: String) {
        registry.makeGauge(
            name: "kagibag_build_info", labels: [("version", version), ("commit", CommandLinePlan.commit)],
            help: "The running release (always 1)."
        ).set(to: 1)
        residentMemory = registry.makeGauge(
            name: "process_resident_memory_bytes", help: "Resident memory size in bytes.")
        openFiles = registry.makeGauge(name: "process_open_fds", help: "Number of open file descriptors.")
        startTime = registry.makeGauge(
            name: "process_start_time_seconds", help: "Start time of the process since the Unix epoch, in seconds.")
        cpuSeconds = registry.makeCounter(
            name: "process_cpu_seconds_total", help: "Total user and system CPU time spent, in seconds.")
        startTime.set(to: Self.started.timeIntervalSince1970)
    }

    /// Reads the current figures (on Linux; elsewhere they stay as they were).
    func update() {
        let pageSize = Double(sysconf(Int32(_SC_PAGESIZE)))
        if let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
            let pages = statm.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        {
            residentMemory.set(to: pages * pageSize)
        }
        if let files = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") {
            openFiles.set(to: Double(files.count))
        }
        // Fields 14 and 15 of /proc/self/stat (utime, stime, in clock ticks), counted after the
        // command name, which may itself contain spaces and ends with the last ')'.
        if let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After ")": state is field 3, so utime (14) and stime (15) are at 11 and 12.
            if fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) {
                let seconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
                let delta = counted.withLockedValue { counted in
                    defer { counted = max(counted, seconds) }
                    return seconds - counted
                }
                if delta > 0 { cpuSeconds.increment(by: delta) }
            }
        }
    }
}
