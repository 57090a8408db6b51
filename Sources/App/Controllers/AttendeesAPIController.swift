import Fluent
import Vapor

/// `/api/v1/organizer/events/{id}/attendees`.
struct AttendeesAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let read = routes.grouped(RequirePermission(.attendeesRead))
        let write = routes.grouped(RequirePermission(.attendeesWrite))
        read.get(use: list)
        write.post(use: create)
        read.get(":attendee", use: show)
        write.patch(":attendee", use: update)
        write.delete(":attendee", use: delete)
    }

    private func event(_ req: Request) async throws -> Event {
        let key = try req.requireAPIKey()
        return try await EventStore.event(req.parameters.get("event"), teamID: key.teamID, on: req.db)
    }

    /// The event's attendees in registration order; `updated_since` fetches only what changed.
    @Sendable func list(req: Request) async throws -> Page<AttendeeDTO> {
        let event = try await event(req)
        let paging = try PageRequest(from: req)
        req.application.metrics.query(.read, "api")
        let query = Attendee.query(on: req.db).filter(\.$event.$id == event.id!)
        if let date = try req.dateQuery("updated_since") { query.filter(\.$updatedAt >= date) }
        if let after = paging.after { query.filter(\.$id > after) }
        let rows = try await query.sort(\.$id).limit(paging.limit + 1).all()
        return paging.page(rows, id: { $0.id! }, map: { $0.toDTO() })
    }

    @Sendable func create(req: Request) async throws -> Response {
        req.application.metrics.query(.write, "api")
        let event = try await event(req)
        let body = try req.content.decode(CreateAttendeeRequest.self)
        return try await Idempotency.run(req, teamID: event.$team.id) { db in
            let attendee = try await EventStore.register(body.draft, for: event, on: db)
            let location = "/api/v1/organizer/events/\(event.id!.uuidString.lowercased())/attendees/\(attendee.id!.uuidString.lowercased())"
            return try await attendee.toDTO().response(.created, location: location, for: req)
        }
    }

    @Sendable func show(req: Request) async throws -> AttendeeDTO {
        let event = try await event(req)
        return try await EventStore.attendee(req.parameters.get("attendee"), of: event, on: req.db).toDTO()
    }

    @Sendable func update(req: Request) async throws -> AttendeeDTO {
        let event = try await event(req)
        let attendee = try await EventStore.attendee(req.parameters.get("attendee"), of: event, on: req.db)
        let body = try req.content.decode(UpdateAttendeeRequest.self)
        try await EventStore.updateAttendee(attendee, body.applied(to: attendee), event: event, on: req.db)
        return attendee.toDTO()
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        let event = try await event(req)
        let attendee = try await EventStore.attendee(req.parameters.get("attendee"), of: event, on: req.db)
        try await EventStore.deleteAttendee(attendee, on: req.db)
        return .noContent
    }
}
