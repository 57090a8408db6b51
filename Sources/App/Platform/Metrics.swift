import Foundation
import NIOConcurrencyHelpers
import Prometheus
import Vapor

/// Kagibag's Prometheus metrics, one registry per application (tests build many).
///
/// Labels are route templates (`api/v1/organizer/events/:event`), methods, status codes and
/// fixed outcome names: never a key, a digest, an id or anything a client chose.
final class Metrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
        .seconds(5),
    ]

    private static func descriptor(_ subsystem: String, _ name: String, _ unit: String, _ help: String)
        -> MetricNameDescriptor
    {
        MetricNameDescriptor(
            namespace: "kagibag", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    private static var requestsTotal: MetricNameDescriptor {
        descriptor("http", "requests", "total", "HTTP requests by route template, method and status.")
    }
    private static var requestDuration: MetricNameDescriptor {
        descriptor("http", "request_duration", "seconds", "Time to answer HTTP requests.")
    }
    private static var authentications: MetricNameDescriptor {
        descriptor("api", "authentications", "total", "API key checks by outcome.")
    }
    private static var queries: MetricNameDescriptor {
        descriptor("db", "queries", "total", "Database statements by kind (read, write) and purpose.")
    }
    private static var leakCredentials: MetricNameDescriptor {
        descriptor(
            "leak_reports", "credentials", "total",
            "Credentials reported as leaked, by channel and stage (received, well_formed, live, revoked).")
    }
    private static var leakRefusals: MetricNameDescriptor {
        descriptor("leak_reports", "refused", "total", "Leak reports refused as a whole, by channel and reason.")
    }

    // The registry validates names and help texts and takes its lock on every lookup; the
    // handles are looked up once and kept, so a request pays one dictionary lookup at most.
    private let authCounters: [String: Counter]
    private let requestHandles = NIOLockedValueBox<[RequestKey: (Counter, DurationHistogram)]>([:])
    private let queryCounters = NIOLockedValueBox<[String: Counter]>([:])
    private let leakCounters: [String: Counter]
    private let leakRefusalCounters = NIOLockedValueBox<[String: Counter]>([:])
    private let flushBatches: Counter
    private let flushRows: Counter
    private let flushDuration: DurationHistogram
    private let requestLogDropped: Counter
    private let webhookDeliveries = NIOLockedValueBox<[String: Counter]>([:])
    private let webhookPending: Gauge
    private let webhookOldestPending: Gauge
    private let passwordDone: Counter
    /// By budget kind, then admitted or refused.
    private let budgetCounters: [RequestBudgets.Kind: (admitted: Counter, refused: Counter)]
    private let budgetStatements: [String: Counter]
    private let passwordBusy: Counter
    private let passwordInFlight: Gauge
    /// The process's own figures and the release, refreshed at each scrape.
    let process: ProcessMetrics

    init() {
        var auth: [String: Counter] = [:]
        for outcome in AuthOutcome.allCases {
            auth[outcome.rawValue] = registry.makeCounter(
                descriptor: Self.authentications, labels: [("outcome", outcome.rawValue)])
        }
        authCounters = auth
        var leaks: [String: Counter] = [:]
        for channel in LeakChannel.allCases {
            for stage in LeakStage.allCases {
                leaks[channel.rawValue + " " + stage.rawValue] = registry.makeCounter(
                    descriptor: Self.leakCredentials,
                    labels: [("channel", channel.rawValue), ("stage", stage.rawValue)])
            }
        }
        leakCounters = leaks
        flushBatches = registry.makeCounter(
            descriptor: Self.descriptor("last_used", "flush_batches", "total", "Batches of last-used times written."),
            labels: [])
        flushRows = registry.makeCounter(
            descriptor: Self.descriptor("last_used", "flush_rows", "total", "Keys whose last-used time was written."),
            labels: [])
        flushDuration = registry.makeDurationHistogram(
            descriptor: Self.descriptor(
                "last_used", "flush_duration", "seconds", "Time to write one batch of last-used times."),
            labels: [], buckets: Self.latencyBuckets)
        requestLogDropped = registry.makeCounter(
            descriptor: Self.descriptor(
                "request_log", "dropped", "total",
                "Recent-request entries dropped before a flush wrote them (a key past 200 waiting, or all past 20,000)."
            ),
            labels: [])
        webhookPending = registry.makeGauge(
            descriptor: Self.descriptor(
                "webhook", "outbox_pending", "", "Webhook messages waiting for delivery (all instances' outbox)."),
            labels: [])
        webhookOldestPending = registry.makeGauge(
            descriptor: Self.descriptor(
                "webhook", "oldest_pending_age", "seconds", "Age of the oldest webhook message not yet delivered."),
            labels: [])
        let work = Self.descriptor(
            "password", "work", "total", "bcrypt hashes and checks: done, or refused at once as busy (503).")
        passwordDone = registry.makeCounter(descriptor: work, labels: [("outcome", "done")])
        passwordBusy = registry.makeCounter(descriptor: work, labels: [("outcome", "busy")])
        passwordInFlight = registry.makeGauge(
            descriptor: Self.descriptor(
                "password", "work_in_flight", "", "bcrypt hashes and checks running or waiting for a thread."))
        let registry = self.registry
        let budgetRequests = Self.descriptor(
            "api", "budget_requests", "total",
            "API requests by request budget (key, team) and whether it admitted them.")
        budgetCounters = Dictionary(
            uniqueKeysWithValues: RequestBudgets.Kind.allCases.map { kind in
                let counter = { (outcome: String) in
                    registry.makeCounter(
                        descriptor: budgetRequests, labels: [("budget", kind.rawValue), ("outcome", outcome)])
                }
                return (kind, (counter("admitted"), counter("refused")))
            })
        let statements = Self.descriptor(
            "api", "budget_statements", "total",
            "Statements to the shared budget store: slices leased, unspent requests given back, failures.")
        budgetStatements = Dictionary(
            uniqueKeysWithValues: BudgetStatement.allCases.map {
                ($0.rawValue, registry.makeCounter(descriptor: statements, labels: [("statement", $0.rawValue)]))
            })
        process = ProcessMetrics(registry: registry, version: CommandLinePlan.version)
    }

    func budget(_ kind: RequestBudgets.Kind, admitted: Bool) {
        guard let counters = budgetCounters[kind] else { return }
        (admitted ? counters.admitted : counters.refused).increment()
    }

    func budgetStatement(_ statement: BudgetStatement) {
        budgetStatements[statement.rawValue]?.increment()
    }

    func request(_ key: RequestKey, route: () -> String, duration: Duration) {
        let registry = self.registry
        let (counter, histogram) = requestHandles.withLockedValue { handles in
            if let existing = handles[key] { return existing }
            let template = route(), method = key.method
            let made = (
                registry.makeCounter(
                    descriptor: Self.requestsTotal,
                    labels: [("route", template), ("method", method), ("status", String(key.status))]),
                registry.makeDurationHistogram(
                    descriptor: Self.requestDuration, labels: [("route", template), ("method", method)],
                    buckets: Self.latencyBuckets)
            )
            handles[key] = made
            return made
        }
        counter.increment()
        histogram.record(duration)
    }

    func auth(_ outcome: AuthOutcome) {
        authCounters[outcome.rawValue]?.increment()
    }

    /// Database statements issued by Kagibag's own code paths, by kind and purpose.
    func query(_ kind: QueryKind, _ purpose: String, count: Int = 1) {
        let key = kind.rawValue + " " + purpose
        let registry = self.registry
        let counter = queryCounters.withLockedValue { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.queries, labels: [("kind", kind.rawValue), ("purpose", purpose)])
            counters[key] = made
            return made
        }
        counter.increment(by: Int64(count))
    }

    /// Counts `count` reported credentials that reached `stage`.
    func leakReports(_ channel: LeakChannel, _ stage: LeakStage, count: Int = 1) {
        guard count > 0 else { return }
        leakCounters[channel.rawValue + " " + stage.rawValue]?.increment(by: Int64(count))
    }

    func leakReportRefused(_ channel: LeakChannel, _ reason: LeakRefusal) {
        let key = channel.rawValue + " " + reason.rawValue
        let registry = self.registry
        let counter = leakRefusalCounters.withLockedValue { counters in
            if let existing = counters[key] { return existing }
            let made = registry.makeCounter(
                descriptor: Self.leakRefusals, labels: [("channel", channel.rawValue), ("reason", reason.rawValue)])
            counters[key] = made
            return made
        }
        counter.increment()
    }

    func lastUsedFlush(rows: Int, duration: Duration) {
        flushBatches.increment()
        flushRows.increment(by: Int64(rows))
        flushDuration.record(duration)
    }

    /// Recent-request entries that made room for newer ones before a flush could write them.
    func requestLogDropped(_ count: Int) {
        guard count > 0 else { return }
        requestLogDropped.increment(by: Int64(count))
    }

    /// One webhook delivery attempt: `delivered` or `failed` (to be retried, or failed for good).
    func webhookDelivery(_ outcome: String) {
        let counter = webhookDeliveries.withLockedValue { counters in
            if let counter = counters[outcome] { return counter }
            let made = registry.makeCounter(
                descriptor: Self.descriptor(
                    "webhook", "deliveries", "total", "Webhook delivery attempts by outcome (delivered, failed)."),
                labels: [("outcome", outcome)])
            counters[outcome] = made
            return made
        }
        counter.increment()
    }

    /// The outbox as a worker last read it.
    func webhookOutbox(pending: Int, oldestAge: Double) {
        webhookPending.set(Double(pending))
        webhookOldestPending.set(oldestAge)
    }

    /// One bcrypt computation admitted (`+1`) or finished (`-1`, and counted as done).
    func passwordWork(admitted: Bool) {
        if admitted {
            passwordInFlight.increment()
        } else {
            passwordInFlight.decrement()
            passwordDone.increment()
        }
    }

    func passwordBusyRefusal() { passwordBusy.increment() }
}
