import APIKeyCore
import Foundation

/// Sentences for the audit trail about a key's policy and its changes.
enum APIKeyChanges {
    static func permissions(_ granted: Set<Permission>?) -> String {
        granted.map { $0.sorted().map(\.rawValue).joined(separator: ", ") } ?? "all team permissions"
    }

    static func events(_ count: Int) -> String {
        count == 1 ? "1 event" : "\(count) events"
    }

    /// "all events", "3 events", "3 events, within 6 hours of them".
    static func scope(_ scope: EventScope) -> String {
        guard let events = scope.events else { return "all events" }
        return self.events(events.count) + (scope.windowHours.map { ", within \($0) hours of them" } ?? "")
    }

    /// "600 requests a minute", or "the server's default" for none of its own.
    static func rateLimit(_ perMinute: Int?) -> String {
        perMinute.map { "\(RequestsPerMinuteRule.format($0)) requests a minute" } ?? "the server’s default"
    }

    static func fence(_ ranges: [AddressRange]) -> String {
        ranges.isEmpty ? "any address" : ranges.map(\.description).joined(separator: ", ")
    }

    /// ", with events:read, from 10.0.0.0/8, expiring in 30 days" for what differs from the defaults.
    static func describe(_ policy: APIKeyPolicy, scope: EventScope = .all, now: Date = Date()) -> String {
        var parts: [String] = []
        if policy.granted != nil { parts.append("with \(permissions(policy.granted))") }
        if let events = scope.events { parts.append("for \(self.events(events.count))") }
        if let hours = scope.windowHours { parts.append("only within \(hours) hours of them") }
        if !policy.allowedAddresses.isEmpty { parts.append("from \(fence(policy.allowedAddresses))") }
        if policy.mayRollItself { parts.append("able to roll itself") }
        if let rate = policy.rateLimitPerMinute { parts.append("limited to \(rateLimit(rate))") }
        if let expiresAt = policy.expiresAt {
            parts.append("expiring in \(Int((expiresAt.timeIntervalSince(now) / 86400).rounded())) days")
        }
        return parts.isEmpty ? "" : ", " + parts.joined(separator: ", ")
    }

    /// "renamed from “A”; permissions: all team permissions → events:read" — empty when nothing changed.
    static func describe(
        from old: (name: String, policy: APIKeyPolicy, scope: EventScope),
        to new: (name: String, policy: APIKeyPolicy, scope: EventScope)
    ) -> String {
        var parts: [String] = []
        if old.scope != new.scope { parts.append("events: \(scope(old.scope)) → \(scope(new.scope))") }
        if old.name != new.name { parts.append("renamed from “\(old.name)”") }
        if old.policy.description != new.policy.description { parts.append("description changed") }
        if old.policy.granted != new.policy.granted {
            parts.append("permissions: \(permissions(old.policy.granted)) → \(permissions(new.policy.granted))")
        }
        if old.policy.allowedAddresses != new.policy.allowedAddresses {
            parts.append("addresses: \(fence(old.policy.allowedAddresses)) → \(fence(new.policy.allowedAddresses))")
        }
        if old.policy.rateLimitPerMinute != new.policy.rateLimitPerMinute {
            parts.append(
                "requests per minute: \(rateLimit(old.policy.rateLimitPerMinute)) → \(rateLimit(new.policy.rateLimitPerMinute))"
            )
        }
        if old.policy.mayRollItself != new.policy.mayRollItself {
            parts.append(new.policy.mayRollItself ? "may now roll itself" : "may no longer roll itself")
        }
        return parts.joined(separator: "; ")
    }
}
