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
        let rows = try await EventStore.list(
            team: key.teamID, filter: filter, after: paging.after, limit: paging.limit + 1, on: req.reads)
        return paging.page(rows, id: { $0.id }, map: EventDTO.init).response()
    }

    @Sendable func create(req: Request) async throws -> Response {
        req.application.metrics.query(.write, "api")
        let key = try req.requireAPIKey()
        let draft = try req.content.decode(CreateEventRequest.self).draft()
        return try await Idempotency.run(req, teamID: key.teamID) { db in
            let event = try await EventStore.create(team: key.teamID, draft, on: db)
            return EventDTO(event).response(.created, location: SitePath.apiEvent(.value(event.id)).path)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        return EventDTO(try await EventStore.find(req.parameters.get("event"), team: key.teamID, on: req.db)).response()
    }

    @Sendable func update(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let event = try await EventStore.find(req.parameters.get("event"), team: key.teamID, on: req.db)
        let draft = try req.content.decode(UpdateEventRequest.self).applied(to: event)
        return EventDTO(try await EventStore.update(event, to: draft, on: req.db)).response()
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        let key = try req.requireAPIKey()
        try await EventStore.delete(
            try await EventStore.find(req.parameters.get("event"), team: key.teamID, on: req.db), on: req.db)
        return .noContent
    }
}
