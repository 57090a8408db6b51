import Foundation
import Vapor

/// What the API Keys pages show: no plaintext key here except the one just created or rolled,
/// and that one only in the response that creates it.
enum APIKeyPages {
    /// A rolled key's old secret while its grace period runs.
    struct OldSecret: Encodable {
        let preview: String
        let ends: TimeView
        let lastUsed: TimeView?
    }

    struct KeyRow: Encodable {
        let id, name, preview, createdBy, permissions, status, statusClass: String
        /// The current secret's last four characters: a roll says which secret it replaces.
        let lastFour: String
        let path, editPath, rollPath, pausePath, resumePath, endGracePath, deletePath: String
        let description, fence: String?
        /// "All events", or how many the key reaches (and if only around them).
        let events: String
        let created: TimeView
        let lastUsed, expires: TimeView?
        let expired, paused, mayRollItself: Bool
        let oldSecret: OldSecret?
        /// Set when the key was revoked because it was reported as leaked.
        let leak: LeakView?

        init(
            _ key: APIKey, creators: [UUID: String], old: APIKeySecret? = nil,
            reach: EventScopeStore.Reach = .init(), now: Date = Date()
        ) {
            let id = key.id!
            self.id = id.lowercasedString
            name = key.name
            description = key.keyDescription
            preview = "…" + key.lastFour
            lastFour = key.lastFour
            createdBy = creators[key.$createdBy.id] ?? "a former member"
            permissions =
                key.granted.map { $0.sorted().map(\.rawValue).joined(separator: ", ") } ?? "All team permissions"
            events =
                key.eventsScoped
                ? APIKeyChanges.events(reach.count)
                    + (key.eventWindowHours.map { ", only within \($0) hours of them" } ?? "")
                : "All events"
            let ranges = APIKeyPolicy.ranges(key.allowedAddresses)
            fence = ranges.isEmpty ? nil : ranges.map(\.description).joined(separator: ", ")
            created = TimeView(key.createdAt ?? now, now: now)
            lastUsed = key.lastUsedAt.map { TimeView($0, now: now) }
            expires = key.expiresAt.map { TimeView($0, now: now) }
            expired = key.expiresAt.map { $0 <= now } ?? false
            paused = key.pausedAt != nil
            mayRollItself = key.mayRollItself
            let state = KeyState.Status(key, now: now)
            // A usable key outside the time around its events answers 401 now: say so where its status is.
            if state == .active || state == .expiring, let window = reach.window(hours: key.eventWindowHours),
                !window.contains(now)
            {
                let waiting = window.from.map { now < $0 } ?? false
                (status, statusClass) = (
                    waiting ? "Waiting for its events" : "Outside its events’ time", "warning-text"
                )
            } else {
                (status, statusClass) = (state.label, state.tone)
            }
            leak = LeakView(key, now: now)
            oldSecret = old.flatMap { secret in
                secret.endsAt.map {
                    OldSecret(
                        preview: "…" + secret.lastFour, ends: TimeView($0, now: now),
                        lastUsed: secret.lastUsedAt.map { TimeView($0, now: now) })
                }
            }
            path = SitePath.apiKey(.value(id)).path
            editPath = SitePath.apiKeyEdit(.value(id)).path
            rollPath = SitePath.apiKeyRoll(.value(id)).path
            pausePath = SitePath.apiKeyPause(.value(id)).path
            resumePath = SitePath.apiKeyResume(.value(id)).path
            endGracePath = SitePath.apiKeyEndGrace(.value(id)).path
            deletePath = SitePath.apiKeyDelete(.value(id)).path
        }
    }

    /// The secret shown once, after creating or rolling a key.
    struct CreatedKey: Encodable {
        let name, plaintext, donePath: String
        let rolled: Bool
        /// For a roll: when the old secret stops working (nil: it already has).
        let oldEnds: TimeView?
        /// A ready-to-copy request with the new key: in this response only, like the key. One the
        /// key may make: its events when it may read them, else what it is (a door key's first call).
        let example: String
        /// What the example does, in a sentence.
        let exampleIntro: String
        /// What the key may do, in words: the dialog says it where the key is shown, so a key
        /// made with more power than meant is noticed before it is stored anywhere.
        let abilities: [String]

        init(
            _ req: Request, name: String, plaintext: String, donePath: String, rolled: Bool, oldEnds: TimeView?,
            policy: APIKeyPolicy, team: Team, scope: EventScope
        ) {
            (self.name, self.plaintext, self.donePath, self.rolled, self.oldEnds) = (
                name, plaintext, donePath, rolled, oldEnds
            )
            let permissions = KeyState(
                revokedAt: nil, expiresAt: nil, pausedAt: nil, granted: policy.granted,
                teamPermissions: team.permissions
            ).permissions
            let readsEvents = permissions.contains(.eventsRead)
            example = ExampleRequest.curl(
                req, key: plaintext, path: readsEvents ? ExampleRequest.eventsPath : ExampleRequest.keyInfoPath)
            exampleIntro =
                (readsEvents
                    ? "Try it: this request lists \(scope.isScoped ? "the events this key reaches" : "the team’s events")."
                    : "Try it: this request shows what this key is and may do (it may not list events).")
                + (scope.windowHours != nil ? " Outside the time around its events it answers 401." : "")
            abilities = Self.abilities(of: policy, team: team, scope: scope)
        }

        static func abilities(of policy: APIKeyPolicy, team: Team, scope: EventScope, now: Date = Date())
            -> [String]
        {
            let held = team.permissions.sorted().map(\.rawValue).joined(separator: ", ")
            let permissions =
                policy.granted.map { "Permissions: only " + $0.sorted().map(\.rawValue).joined(separator: ", ") }
                ?? "Permissions: all of the team’s, following them as they change (now \(held.isEmpty ? "none" : held))"
            let from =
                policy.allowedAddresses.isEmpty
                ? "From: any address"
                : "From: only " + policy.allowedAddresses.map(\.description).joined(separator: ", ")
            let expires =
                policy.expiresAt.map { "Expires: \(TimeView($0, now: now).exact) (\(TimeView($0, now: now).relative))" }
                ?? "Expires: never"
            let events = scope.isScoped ? "Events: " + APIKeyChanges.scope(scope) : "Events: all, including later ones"
            return [
                permissions, events, from, expires,
                policy.mayRollItself ? "May roll itself: yes" : "May roll itself: no",
            ]
        }
    }

    struct ListContext: Encodable {
        let page: PageContext
        let keys: [KeyRow]
        let hasKeys, atLimit: Bool
        let admins, nonce: String
        let created: CreatedKey?
        let limit: Int
        let form: APIKeyFormValues
        /// The create dialog's problems; when there are any, the dialog opens with them.
        let errors: FormErrors
        let list: ListView
        /// The example request, with a placeholder for the key.
        let example: String
    }

    /// The search, filter, sort and paging controls of the list.
    struct ListView: Encodable {
        struct Link: Encodable {
            let label, path: String
            let current: Bool
        }
        let search, clearPath, searchPath: String
        let statuses: [APIKeyFormValues.Option]
        let sorts: [Link]
        /// 20, 50, 100 per page (back to the first page).
        let pageSizes: [Link]
        let isFiltered, hasMatches: Bool
        let total, pageNumber, pages: Int
        let previousPath, nextPath: String?

        init(_ query: APIKeyListQuery, total: Int) {
            search = query.search
            clearPath = SitePath.apiKeys.path
            searchPath = SitePath.apiKeysSearch.path
            statuses = APIKeyListQuery.Status.allCases.map {
                .init(value: $0.rawValue, label: $0.label, selected: $0 == query.status)
            }
            sorts = APIKeyListQuery.Sort.allCases.map { sort in
                Link(
                    label: sort.label,
                    path: query.path {
                        $0.sort = sort; $0.page = 1
                    }, current: sort == query.sort)
            }
            pageSizes = APIKeyListQuery.pageSizes.map { size in
                Link(
                    label: String(size),
                    path: query.path {
                        $0.perPage = size; $0.page = 1
                    }, current: size == query.perPage)
            }
            isFiltered = query.isFiltered
            hasMatches = total > 0
            self.total = total
            pageNumber = query.page
            pages = max(1, (total + query.perPage - 1) / query.perPage)
            previousPath = query.page > 1 ? query.path { $0.page -= 1 } : nil
            nextPath = query.page < pages ? query.path { $0.page += 1 } : nil
        }
    }

    struct FormContext: Encodable {
        let page: PageContext
        let admins, nonce, action: String
        let key: KeyRow?
        let form: APIKeyFormValues
        var errors = FormErrors.none
        /// The create page at the team's limit explains instead of showing the form.
        var atLimit = false
        var limit = 0
    }

    struct KeyContext: Encodable {
        let page: PageContext
        let key: KeyRow
        let admins, nonce: String
        let created: CreatedKey?
        let graces: [APIKeyFormValues.Option]
        /// For the roll form's lifetime choice.
        let form: APIKeyFormValues
        let usage: KeyUsageView
        let scope: EventScopeView
        let eventsUsed: EventsUsedView
        /// For admins: the key's newest few requests and the way to all of them.
        var recent: RecentRequests? = nil
        /// "600 (set for this key) · team: 5,000 shared"; nil when the server has budgets off.
        var budget: String? = nil
    }

    struct RecentRequests: Encodable {
        let requests: [KeyRequestView]
        let hasRequests: Bool
        let path, failuresPath: String
        let isOn: Bool
    }

    static let graceLabels = [0: "End now", 3600: "1 hour", 86_400: "24 hours", 604_800: "7 days"]

    static var graces: [APIKeyFormValues.Option] {
        APIKeySecrets.graceChoices.map {
            .init(value: String($0), label: graceLabels[$0]!, selected: $0 == APIKeySecrets.defaultGrace)
        }
    }
}
