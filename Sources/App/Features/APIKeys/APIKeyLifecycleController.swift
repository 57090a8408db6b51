import APIKeyCore
import Fluent
import Vapor

/// A key's own page under Admin → Team → API Keys, and what an admin does to a key after
/// creating it: edit (name, description, permissions, fence, self-roll), roll, end a grace
/// period, pause and resume. Members see the page read-only.
struct APIKeyLifecycleController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiKey(.parameter), use: show)
        routes.get(.apiKeyEdit(.parameter), use: editPage)
        routes.post(.apiKeyEdit(.parameter), use: edit)
        routes.post(.apiKeyRoll(.parameter), use: roll)
        routes.post(.apiKeyEndGrace(.parameter), use: endGrace)
        routes.post(.apiKeyPause(.parameter), use: pause)
        routes.post(.apiKeyResume(.parameter), use: resume)
    }

    @Sendable func show(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        return try await KeyPage.render(
            req, key: try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db))
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let scope = try await EventScopeStore.scope(of: key, on: req.db)
        var form = APIKeyFormValues(team: current.team, key: key, scope: scope)
        try await form.loadEvents(team: current.team.id!, on: req.db)
        return try await renderEdit(req, key: key, form: form)
    }

    @Sendable func edit(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let input = try req.content.decode(APIKeyFormInput.self)
        let before = (name: key.name, policy: key.policy, scope: try await EventScopeStore.scope(of: key, on: req.db))
        do {
            let teamEvents = try await EventScopeStore.teamEvents(
                among: input.events ?? [], team: current.team.id!, on: req.db)
            let after = try input.validated(
                for: current.team, teamEvents: teamEvents, rateRule: req.application.services.settings.keyRateRule,
                editing: key)
            let changes = APIKeyChanges.describe(from: before, to: after)
            guard !changes.isEmpty else { return req.redirect(to: SitePath.apiKey(.value(key.id!)).path) }
            key.name = after.name
            key.apply(after.policy)
            let actor = try req.requireUser().user
            try await APIKeysController.asAdmin(req) { db, _, _ in
                try await APIKeyStore.save(
                    key, scope: after.scope,
                    audit: Audit.entry(
                        .keyChanged, team: key.$team.id, by: actor,
                        "changed API key “\(after.name)” (…\(key.lastFour)): \(changes)"), on: db)
            }
            Notice.set("Saved “\(after.name)”. The change applies to its next request.", on: req)
            return req.redirect(to: SitePath.apiKey(.value(key.id!)).path)
        } catch let error as DomainError {
            key.name = before.name
            let problems = error.problems.isEmpty ? [FieldProblem(field: "", message: error.message)] : error.problems
            var form = APIKeyFormValues(team: current.team, key: key, posted: input)
            try await form.loadEvents(team: current.team.id!, on: req.db)
            return try await renderEdit(
                req, key: key, form: form,
                errors: FormErrors(problems, ids: APIKeyFormValues.fieldIDs), status: error.status)
        }
    }

    struct RollForm: Content {
        var grace, expiresInDays, nonce: String?
        /// The last four characters of the secret the page showed as current.
        var replacing: String?

        enum CodingKeys: String, CodingKey {
            case grace, nonce, replacing
            case expiresInDays = "expires_in_days"
        }
    }

    @Sendable func roll(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let form = try req.content.decode(RollForm.self)
        let keyPath = SitePath.apiKey(.value(key.id!)).path
        // A reload of the roll response re-posts the form; the secret it showed is gone for good.
        if let nonce = form.nonce, CreationNonce.wasUsed(nonce, on: req) {
            Notice.set("That key was already rolled. A new secret is shown only once.", on: req)
            return req.redirect(to: keyPath)
        }
        // Anything but a number is no choice (-1 is refused like any other).
        let grace = try APIKeySecrets.grace(Int(form.grace ?? "") ?? -1, fromChoices: true)
        let expiresAt = try APIKeyPolicy.expiry(chosen: form.expiresInDays, team: current.team)
        guard ConfirmPage.isConfirmed(req) else {
            // What the roll would refuse anyway is said now, not after "yes".
            if key.pausedAt != nil {
                throw DomainError.conflict("This key is paused; resume it before rolling it.")
            }
            if let shown = form.replacing, shown != key.lastFour {
                throw DomainError.conflict(
                    "Someone rolled this key since the page was shown (its current secret now ends in …\(key.lastFour)). "
                        + "Nothing changed; look at the key again before rolling it.")
            }
            return try await RollConfirmation.roll(req, key: key, grace: grace, form: form).response(for: req)
        }
        let token = APIKeyToken.generate()
        let actor = try req.requireUser().user
        let summary = "rolled API key “\(key.name)” (…\(key.lastFour) → …\(token.lastFour))"
        // A key revoked as leaked comes back with only its new secret, whatever grace was picked.
        // The secret the page showed: if someone rolled the key since, this roll would end theirs.
        let replacing = form.replacing.map(APIKeySecrets.Replacing.lastFour) ?? .whicheverIsCurrent
        let ends: Date?
        do {
            ends = try await APIKeysController.asAdmin(req) { db, _, _ in
                try await APIKeySecrets.roll(
                    key, to: token, grace: grace, expiresAt: .some(expiresAt), revivingLeaked: true,
                    replacing: replacing,
                    audit: { db, wasLeaked in
                        let how =
                            wasLeaked
                            ? ", which had been reported as leaked; every old secret ended at once"
                            : Self.graceSummary(grace)
                        try await Audit.record(.keyRolled, team: key.$team.id, by: actor, summary + how, on: db)
                        try await KeyWebhook.record(
                            .apiKeyRolled, key: key.id!, name: key.name, lastFour: token.lastFour, team: key.$team.id,
                            by: actor.name, on: db)
                    }, on: db)
            }
        } catch let stale as APIKeySecrets.NotCurrent {
            throw DomainError.conflict(
                "Someone rolled this key since the page was shown (its current secret now ends in …\(stale.currentLastFour ?? "?")). "
                    + "Nothing changed; look at the key again before rolling it.")
        }
        if let nonce = form.nonce { CreationNonce.markUsed(nonce, on: req) }
        req.logger.info("api key rolled", metadata: ["key": "\(key.id!)", "preview": "\(token.lastFour)"])
        let fresh = try await APIKeyStore.find(id: key.id!, team: current.team.id!, on: req.db)
        let created = APIKeyPages.CreatedKey(
            req, name: key.name, plaintext: token.plaintext, donePath: keyPath, rolled: true,
            oldEnds: ends.map { TimeView($0) },
            policy: fresh.policy, team: current.team,
            scope: try await EventScopeStore.scope(of: fresh, on: req.db))
        return try await KeyPage.render(req, key: fresh, created: created, status: .created)
    }

    @Sendable func endGrace(req: Request) async throws -> Response {
        guard ConfirmPage.isConfirmed(req) else {
            let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
            let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
            // Nothing left to end (it ended, or a roll ended it, since the page was shown).
            guard let old = try await APIKeyStore.oldSecrets(of: [key.id!], on: req.db)[key.id!] else {
                Notice.set("“\(key.name)” has no old secret that still works: nothing to end.", on: req)
                return req.redirect(to: SitePath.apiKey(.value(key.id!)).path)
            }
            return try await RollConfirmation.endGrace(req, key: key, old: old).response(for: req)
        }
        return try await change(
            req, .keyGraceEnded, "ended the grace period of API key", notice: "The old secret of “%@” no longer works."
        ) { key, audit, db in
            try await APIKeySecrets.endGrace(key, audit: audit, on: db)
        }
    }

    @Sendable func pause(req: Request) async throws -> Response {
        try await change(
            req, .keyPaused, "paused API key", notice: "Paused “%@”. Requests with it now get 401 until you resume it."
        ) { key, audit, db in
            try await APIKeySecrets.setPaused(key, true, audit: audit, on: db)
        }
    }

    @Sendable func resume(req: Request) async throws -> Response {
        try await change(
            req, .keyResumed, "resumed API key", notice: "Resumed “%@”. It works again from its next request."
        ) { key, audit, db in
            try await APIKeySecrets.setPaused(key, false, audit: audit, on: db)
        }
    }

    /// An admin action on one key that needs no form: done, audited, then back to the key.
    private func change(
        _ req: Request, _ action: AuditEvent.Action, _ verb: String, notice: String,
        _ body:
            @escaping @Sendable (APIKey, @escaping @Sendable (any Database) async throws -> Void, any Database)
            async throws -> Void
    ) async throws -> Response {
        let current = try req.requireTeamAdmin(to: APIKeysController.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let actor = try req.requireUser().user
        let summary = "\(verb) “\(key.name)” (…\(key.lastFour))"
        try await APIKeysController.asAdmin(req) { db, _, _ in
            try await body(
                key,
                { db in
                    try await Audit.record(action, team: key.$team.id, by: actor, summary, on: db)
                    let message: WebhookEventType? =
                        switch action {
                        case .keyPaused: .apiKeyPaused
                        case .keyResumed: .apiKeyResumed
                        default: nil
                        }
                    if let message { try await KeyWebhook.record(message, key, by: actor.name, on: db) }
                }, db)
        }
        Notice.set(notice.replacingOccurrences(of: "%@", with: key.name), on: req)
        return req.redirect(to: SitePath.apiKey(.value(key.id!)).path)
    }

    static func graceSummary(_ grace: Int) -> String {
        grace == 0
            ? ", old secret ended at once"
            : ", old secret works for \(APIKeyPages.graceLabels[grace] ?? "\(grace) seconds") more"
    }

    private func renderEdit(
        _ req: Request, key: APIKey, form: APIKeyFormValues, errors: FormErrors = .none, status: HTTPStatus = .ok
    ) async throws -> Response {
        let creators = try await AccountStore.userNames([key.$createdBy.id], on: req.db)
        var form = form
        form.describeRates(req.application.services.settings)
        let context = APIKeyPages.FormContext(
            page: PageContext(
                req, title: "Edit \(key.name)", section: "api-keys",
                trail: [.init(key.name, SitePath.apiKey(.value(key.id!)).path), .init("Edit")]),
            admins: "", nonce: "",
            action: SitePath.apiKeyEdit(.value(key.id!)).path, key: .init(key, creators: creators), form: form,
            errors: errors)
        return try await req.renderPage("api-key-edit", context, status: status)
    }
}
