import Fluent
import Vapor

/// A key's Recent requests (admins only: a refusal's detail may name an attendee): the newest
/// 200, filtered by status, a search by the request id an integrator quotes, and one request in
/// full.
struct KeyRequestsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.apiKeyRequests(.parameter), use: list)
        routes.get(.apiKeyRequest(key: .parameter, request: .parameter), use: show)
    }

    static let adminAction = "see a key's requests"

    struct ListContext: Encodable {
        let page: PageContext
        let key: KeyHeading
        let requests: [KeyRequestView]
        let hasRequests: Bool
        let statuses: [StatusChoice]
        let requestID: String
        let filtered: Bool
        /// "No request with id … among this key's recent requests", after a search that found none.
        let notFound: String?
        let isOn: Bool
        let clearPath: String
        /// How often each instance writes its requests: "every 15 seconds".
        let flushInterval: String
    }

    struct KeyHeading: Encodable {
        let name, preview, path, requestsPath: String

        init(_ key: APIKey) {
            name = key.name
            preview = "…" + key.lastFour
            path = SitePath.apiKey(.value(key.id!)).path
            requestsPath = SitePath.apiKeyRequests(.value(key.id!)).path
        }
    }

    struct DetailContext: Encodable {
        let page: PageContext
        let key: KeyHeading
        let request: KeyRequestView
    }

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        let log = req.application.requestLog
        let statusText = (try? req.query.get(String.self, at: "status"))?.trimmingCharacters(in: .whitespaces) ?? ""
        let status = RequestLog.StatusFilter(statusText)
        let requestID = (try? req.query.get(String.self, at: "request_id"))?.trimmingCharacters(in: .whitespaces) ?? ""
        var notFound: String?
        if !requestID.isEmpty {
            let found = try await RequestLogStore.find(
                requestID: requestID, of: key.id!, pending: log.pending(for: key.id!), on: req.db)
            if let found { return req.redirect(to: KeyRequestView(found).path) }
            notFound = "No request with id “\(requestID)” among this key’s recent requests."
        }
        let entries = try await RequestLogStore.recent(
            of: key.id!, status: status, pending: log.pending(for: key.id!), on: req.db)
        let now = Date()
        let heading = KeyHeading(key)
        let context = ListContext(
            page: PageContext(
                req, title: "Recent requests of \(key.name)", section: "api-keys",
                trail: [.init(key.name, heading.path), .init("Recent requests")]),
            key: heading, requests: entries.map { KeyRequestView($0, now: now) }, hasRequests: !entries.isEmpty,
            statuses: StatusChoice.all(selected: status), requestID: requestID, filtered: status != nil,
            notFound: notFound, isOn: log.isOn, clearPath: heading.requestsPath,
            flushInterval: Self.every(req.application.services.settings.lastUsedFlushSeconds))
        return try await req.renderPage("api-key-requests", context)
    }

    static func every(_ seconds: Double) -> String {
        seconds == 1 ? "every second" : "every \(seconds.formatted()) seconds"
    }

    @Sendable func show(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let key = try await APIKeyStore.find(req.parameters.get("key"), team: current.team.id!, on: req.db)
        guard let id = req.parameters.get("request").flatMap(UUID.init(uuidString:)),
            let entry = try await RequestLogStore.find(
                id, of: key.id!, pending: req.application.requestLog.pending(for: key.id!), on: req.db)
        else {
            throw DomainError.notFound(
                "There is no such request among this key’s recent requests (they are kept for \(RequestLog.retentionDays) days, the newest \(RequestLog.perKey))."
            )
        }
        let heading = KeyHeading(key)
        let context = DetailContext(
            page: PageContext(
                req, title: "\(entry.method) \(entry.path) · \(entry.status)", section: "api-keys",
                trail: [
                    .init(key.name, heading.path), .init("Recent requests", heading.requestsPath),
                    .init(entry.requestID),
                ]),
            key: heading, request: KeyRequestView(entry))
        return try await req.renderPage("api-key-request", context)
    }
}
