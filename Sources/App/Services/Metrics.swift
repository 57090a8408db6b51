import Foundation
import Prometheus
import Vapor

/// Kagibag's Prometheus metrics, one registry per application (tests build many).
///
/// Labels are route templates (`api/v1/organizer/events/:event`), methods, status codes and
/// fixed outcome names: never a key, a digest, an id or anything a client chose.
final class Metrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    enum AuthOutcome: String, CaseIterable {
        case accepted, missing, malformed, unknown, revoked, forbidden
        case expired
        case rateLimited = "rate_limited"
    }

    enum QueryKind: String { case read, write }

    private static let latencyBuckets: [Duration] = [
        .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5),
    ]

    private func descriptor(_ subsystem: String, _ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kagibag", subsystem: subsystem, metricName: name, unitName: unit, helpText: help)
    }

    func request(route: String, method: String, status: UInt, duration: Duration) {
        registry.makeCounter(
            descriptor: descriptor("http", "requests", "total", "HTTP requests by route template, method and status."),
            labels: [("route", route), ("method", method), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: descriptor("http", "request_duration", "seconds", "Time to answer HTTP requests."),
            labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets
        ).record(duration)
    }

    func auth(_ outcome: AuthOutcome) {
        registry.makeCounter(
            descriptor: descriptor("api", "authentications", "total", "API key checks by outcome."),
            labels: [("outcome", outcome.rawValue)]
        ).increment()
    }

    /// Database statements issued by Kagibag's own code paths, by kind and purpose.
    func query(_ kind: QueryKind, _ purpose: String, count: Int = 1) {
        registry.makeCounter(
            descriptor: descriptor("db", "queries", "total", "Database statements by kind (read, write) and purpose."),
            labels: [("kind", kind.rawValue), ("purpose", purpose)]
        ).increment(by: Int64(count))
    }

    func lastUsedFlush(rows: Int, duration: Duration) {
        registry.makeCounter(descriptor: descriptor("last_used", "flush_batches", "total", "Batches of last-used times written."), labels: []).increment()
        registry.makeCounter(descriptor: descriptor("last_used", "flush_rows", "total", "Keys whose last-used time was written."), labels: [])
            .increment(by: Int64(rows))
        registry.makeDurationHistogram(
            descriptor: descriptor("last_used", "flush_duration", "seconds", "Time to write one batch of last-used times."),
            labels: [], buckets: Self.latencyBuckets
        ).record(duration)
    }

    /// Registers every series at zero, so dashboards see them before the first event.
    func prime() {
        for outcome in AuthOutcome.allCases {
            registry.makeCounter(
                descriptor: descriptor("api", "authentications", "total", "API key checks by outcome."), labels: [("outcome", outcome.rawValue)])
        }
        registry.makeCounter(descriptor: descriptor("last_used", "flush_batches", "total", "Batches of last-used times written."), labels: [])
        registry.makeCounter(descriptor: descriptor("last_used", "flush_rows", "total", "Keys whose last-used time was written."), labels: [])
    }
}

extension Application {
    private struct MetricsKey: StorageKey { typealias Value = Metrics }

    var metrics: Metrics {
        if let metrics = storage[MetricsKey.self] { return metrics }
        let metrics = Metrics()
        metrics.prime()
        storage[MetricsKey.self] = metrics
        return metrics
    }
}

/// Counts and times every request, outermost, so it sees the final status of error responses too.
struct MetricsMiddleware: AsyncMiddleware {
    let metrics: Metrics

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next.respond(to: request)
        let route = request.route.map { "/" + $0.path.map(\.description).joined(separator: "/") } ?? "unmatched"
        metrics.request(route: route, method: request.method.rawValue, status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
