import Fluent
import Vapor

/// `/api/v1/organizer/events`.
struct EventsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let read = routes.grouped(RequirePermission(.eventsRead))
        let write = routes.grouped(RequirePermission(.eventsWrite))
        read.get(use: list)
        write.post(use: create)
        read.get(":event", use: show)
        write.patch(":event", use: update)
        write.delete(":event", use: delete)
    }

    /// The team's events, oldest first, filtered by status, start and last change.
    @Sendable func list(req: Request) async throws -> Response {
        let key = try req.requireAPIKey()
        let paging = try PageRequest(from: req)
        req.application.metrics.query(.read, "api")
        var filter = FastQueries.EventFilter()
        if let status = try? req.query.get(String.self, at: "status") {
            guard let status = EventStatus(rawValue: status) else { throw APIError.badRequest(EventRules.statusMessage, field: "status") }
            filter.status = status
        }
        filter.startsAfter = try req.dateQuery("starts_after")
        filter.startsBefore = try req.dateQuery("starts_before")
        filter.updatedSince = try req.dateQuery("updated_since")
        let rows = try await FastQueries.events(team: key.teamID, filter: filter, after: paging.after, limit: paging.limit + 1, on: req.db)
        return paging.page(rows, id: { $0.id }, map: { $0.toDTO() }).fastResponse()
    }

    @Sendable func create(req: Request) async throws -> Response {
        req.application.metrics.query(.write, "api")
        let key = try req.requireAPIKey()
        let body = try req.content.decode(CreateEventRequest.self)
        return try await Idempotency.run(req, teamID: key.teamID) { db in
            let event = try await EventStore.createEvent(teamID: key.teamID, body.draft, on: db)
            return try await event.toDTO().response(.created, location: "/api/v1/organizer/events/\(event.id!.uuidString.lowercased())", for: req)
        }
    }

    @Sendable func show(req: Request) async throws -> EventDTO {
        let key = try req.requireAPIKey()
        return try await EventStore.event(req.parameters.get("event"), teamID: key.teamID, on: req.db).toDTO()
    }

    @Sendable func update(req: Request) async throws -> EventDTO {
        let key = try req.requireAPIKey()
        let event = try await EventStore.event(req.parameters.get("event"), teamID: key.teamID, on: req.db)
        let body = try req.content.decode(UpdateEventRequest.self)
        try await EventStore.updateEvent(event, body.applied(to: event), on: req.db)
        return event.toDTO()
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        let key = try req.requireAPIKey()
        let event = try await EventStore.event(req.parameters.get("event"), teamID: key.teamID, on: req.db)
        try await EventStore.deleteEvent(event, on: req.db)
        return .noContent
    }
}
