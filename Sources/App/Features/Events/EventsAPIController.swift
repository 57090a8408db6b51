import Vapor

/// `/api/v1/organizer/events`.
struct EventsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.resource(
            "event", read: .eventsRead, write: .eventsWrite,
            .init(list: list, create: create, show: show, update: update, delete: delete))
    }

    /// The team's events, oldest first, filtered by status, start and last change.
    @Sendable func list(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let paging = try PageRequest(from: req)
        req.application.metrics.query(.read, "api")
        var filter = EventStore.Filter()
        if req.url.query?.isEmpty == false {
            if let status = try? req.query.get(String.self, at: "status") {
                guard let status = EventStatus(rawValue: status) else {
                    throw APIError.badRequest(EventDraft.statusMessage, field: "status")
                }
                filter.status = status
            }
            filter.startsAfter = try req.dateQuery("starts_after")
            filter.startsBefore = try req.dateQuery("starts_before")
            filter.updatedSince = try req.dateQuery("updated_since")
        }
        filter.scopedToKey = key.scopeKey
        let rows = try await EventStore.list(
            team: key.teamID, filter: filter, after: paging.after, limit: paging.limit + 1, on: req.reads)
        return paging.page(rows, id: { $0.id }, map: EventDTO.init).response()
    }

    @Sendable func create(req: Request) async throws -> Response {
        req.application.metrics.query(.write, "api")
        let key = try req.requireAPIKey()
        guard key.scopeKey == nil else {
            throw APIError(
                status: .forbidden,
                detail:
                    "This key is limited to selected events, so it cannot create events. Use a key for all of the team's events."
            )
        }
        let draft = try req.content.decode(CreateEventRequest.self).draft()
        let actor = try req.auditActor()
        let sqlite = req.sqliteWriter
        return try await Idempotency.run(req, teamID: key.teamID) { db in
            let event = try await EventStore.create(team: key.teamID, draft, by: actor, on: db, sqlite: sqlite)
            let response = EventDTO(event).response(.created, location: SitePath.apiEvent(.value(event.id)).path)
            response.headers.replaceOrAdd(name: .eTag, value: event.entityTag)
            return response
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let event = try await req.keyEvent()
        return EntityTag.answer(EventDTO(event).response(), tag: event.entityTag, to: req)
    }

    @Sendable func update(req: Request) async throws -> Response {
        let event = try await req.keyEvent()
        let request = try req.content.decode(UpdateEventRequest.self)
        // Its window follows its events: a key that works only around them may not move them.
        if try req.requireAPIKey().window != nil,
            request.startsAt != nil || request.endsAt != nil || request.status != nil
        {
            throw APIError(
                status: .forbidden,
                detail:
                    "This key works only around its events, so it may not change their times or status (that would move its own window). Use another key."
            )
        }
        // Checked before the transaction too, so that a bad body never waits for the row's lock.
        _ = try request.applied(to: event)
        let updated = try await EventStore.update(
            event, by: try req.auditActor(), on: req.db, precondition: Self.ifMatch(req)
        ) { current in try request.applied(to: current) }
        return EntityTag.answer(EventDTO(updated).response(), tag: updated.entityTag, to: req)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        let conditional = !req.headers[.ifMatch].isEmpty
        try await EventStore.delete(
            try await req.keyEvent(), by: try req.auditActor(), on: req.db,
            precondition: conditional ? Self.ifMatch(req) : nil)
        return .noContent
    }

    /// Refuses a change to an event whose current version `If-Match` does not name (412).
    private static func ifMatch(_ req: Request) -> @Sendable (EventRecord) throws -> Void {
        EntityTag.precondition(req.headers, "event") { $0.entityTag }
    }
}

extension VerifiedKey {
    /// The key's id when it reaches only its chosen events, for `EventStore`'s scope.
    var scopeKey: UUID? { eventsScoped ? id : nil }
}

extension Request {
    /// The event in the path, of the key's team and within its scope (else 404, as if missing),
    /// noted for the key's usage (which events it uses).
    func keyEvent() async throws -> EventRecord {
        let key = try requireAPIKey()
        let event = try await EventStore.find(
            parameters.get("event"), team: key.teamID, scopedToKey: key.scopeKey, reading: reads)
        keyState.eventUsed = event.id
        return event
    }
}
