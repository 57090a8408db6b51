import Fluent
import Vapor

/// What Roll and End now ask before they act (in the page's dialog, or on a page of their own
/// without script): which secret stops working, when it was last used and from where, and when
/// it stops. A mis-click would otherwise start a countdown to an integration's outage.
enum RollConfirmation {
    static func roll(
        _ req: Request, key: APIKey, grace chosen: Int, form: APIKeyLifecycleController.RollForm, now: Date = Date()
    ) async throws -> ConfirmPage {
        let keyPath = SitePath.apiKey(.value(key.id!)).path
        // A key revoked as leaked comes back with only its new secret, whatever was chosen.
        let grace = key.revokedAt == nil ? chosen : 0
        let secrets = try await APIKeySecret.query(on: req.db).filter(\.$key.$id == key.id!).all()
        let current = secrets.first { $0.endsAt == nil }
        let older = secrets.filter { ($0.endsAt ?? now) > now && $0.endsAt != nil }
        let stops =
            grace == 0
            ? "stops working at once: every request with it gets 401"
            : "keeps working for \(APIKeyPages.graceLabels[grace] ?? "\(grace) seconds") (until \(TimeView(now.addingTimeInterval(TimeInterval(grace)), now: now).exact)), then every request with it gets 401"
        let lastUse = lastUse(
            current?.lastUsedAt,
            from: current?.lastUsedAt != nil && current?.lastUsedAt == key.lastUsedAt
                ? key.lastUsedAddress : nil, now: now)
        var explanation =
            "A new secret is shown once. The current secret …\(current?.lastFour ?? key.lastFour) \(lastUse); it \(stops). "
            + (grace == 0
                ? "Integrations using it stop working until they have the new secret."
                : "Integrations must switch to the new secret before then.")
        for old in older {
            explanation +=
                " The old secret …\(old.lastFour), still in its grace period, \(Self.lastUse(old.lastUsedAt, from: nil, now: now)); it stops working at once."
        }
        var fields: [ConfirmPage.Field] = [.init(name: "grace", value: String(chosen))]
        for (name, value) in [
            ("expires_in_days", form.expiresInDays), ("nonce", form.nonce), ("replacing", form.replacing),
        ] {
            if let value { fields.append(.init(name: name, value: value)) }
        }
        return ConfirmPage(
            page: PageContext(
                req, title: "Roll \(key.name)", section: "api-keys", trail: [.init(key.name, keyPath), .init("Roll")]),
            question: "Roll “\(key.name)”?", explanation: explanation,
            action: SitePath.apiKeyRoll(.value(key.id!)).path, confirmLabel: "Roll key",
            keepLabel: "Keep the current secret", keepPath: keyPath, fields: fields)
    }

    static func endGrace(_ req: Request, key: APIKey, old: APIKeySecret, now: Date = Date()) -> ConfirmPage {
        let keyPath = SitePath.apiKey(.value(key.id!)).path
        let which = "The old secret …\(old.lastFour) \(lastUse(old.lastUsedAt, from: nil, now: now))"
        let until = old.endsAt.map { " instead of at \(TimeView($0, now: now).exact)" } ?? ""
        return ConfirmPage(
            page: PageContext(
                req, title: "End the old secret of \(key.name)", section: "api-keys",
                trail: [.init(key.name, keyPath), .init("End old secret")]),
            question: "End the old secret of “\(key.name)” now?",
            explanation:
                "\(which); it stops working at once\(until): every request with it gets 401. The current secret …\(key.lastFour) keeps working.",
            action: SitePath.apiKeyEndGrace(.value(key.id!)).path, confirmLabel: "End it now",
            keepLabel: "Keep it until then", keepPath: keyPath)
    }

    /// "was last used 3 minutes ago from 203.0.113.7", "has never been used".
    static func lastUse(_ date: Date?, from address: String?, now: Date) -> String {
        guard let date else { return "has never been used" }
        return "was last used \(TimeView.relative(from: date, to: now))" + (address.map { " from \($0)" } ?? "")
    }
}
