import Vapor

/// `/api/v1/organizer/events/{id}/attendees`.
struct AttendeesAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.resource(
            "attendee", read: .attendeesRead, readAlso: [.attendeesCheckIn], write: .attendeesWrite,
            .init(list: list, create: create, show: show, update: update, delete: delete))
    }

    private func event(_ req: Request) async throws -> EventRecord {
        try await req.keyEvent()
    }

    /// The event's attendees in registration order; `updated_since` fetches only what changed.
    @Sendable func list(req: Request) async throws -> Page<AttendeeDTO> {
        let event = try await event(req)
        let paging = try PageRequest(from: req)
        req.application.metrics.query(.read, "api")
        let rows = try await AttendeeStore.list(
            event: event.id, updatedSince: try req.dateQuery("updated_since"), after: paging.after,
            limit: paging.limit + 1, on: req.db)
        let withPrivate = try Self.mayReadPrivate(req)
        return paging.page(rows, id: { $0.id! }, map: { $0.toDTO(withPrivate: withPrivate) })
    }

    @Sendable func create(req: Request) async throws -> Response {
        req.application.metrics.query(.write, "api")
        let event = try await event(req)
        let draft = try req.content.decode(CreateAttendeeRequest.self).draft()
        let actor = try req.auditActor()
        return try await Idempotency.run(req, teamID: event.teamID) { db in
            let attendee = try await AttendeeStore.register(draft, for: event, by: actor, on: db)
            let location = SitePath.apiAttendee(event: .value(event.id), attendee: .value(attendee.id!)).path
            let response = try await attendee.toDTO().response(.created, location: location, for: req)
            response.headers.replaceOrAdd(name: .eTag, value: attendee.entityTag())
            return response
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        let attendee = try await AttendeeStore.find(
            req.parameters.get("attendee"), of: try await event(req), on: req.db)
        let withPrivate = try Self.mayReadPrivate(req)
        let response = try await attendee.toDTO(withPrivate: withPrivate).encodeResponse(for: req)
        return EntityTag.answer(response, tag: attendee.entityTag(withPrivate: withPrivate), to: req)
    }

    /// Only `attendees:read` shows emails and ticket codes; a key reading with
    /// `attendees:check_in` gets neither.
    static func mayReadPrivate(_ req: Request) throws -> Bool {
        try req.requireAPIKey().state().lacks(.attendeesRead) == nil
    }

    @Sendable func update(req: Request) async throws -> Response {
        let event = try await event(req)
        let attendee = try await AttendeeStore.find(req.parameters.get("attendee"), of: event, on: req.db)
        let draft = try req.content.decode(UpdateAttendeeRequest.self).applied(to: attendee)
        let withPrivate = try Self.mayReadPrivate(req)
        try await AttendeeStore.update(
            attendee, to: draft, event: event, by: try req.auditActor(), on: req.db,
            precondition: Self.ifMatch(req, withPrivate: withPrivate))
        let response = try await attendee.toDTO(withPrivate: withPrivate).encodeResponse(for: req)
        return EntityTag.answer(response, tag: attendee.entityTag(withPrivate: withPrivate), to: req)
    }

    @Sendable func delete(req: Request) async throws -> HTTPStatus {
        let event = try await event(req)
        let conditional = !req.headers[.ifMatch].isEmpty
        try await AttendeeStore.delete(
            try await AttendeeStore.find(req.parameters.get("attendee"), of: event, on: req.db), of: event,
            by: try req.auditActor(), on: req.db,
            precondition: conditional ? Self.ifMatch(req, withPrivate: try Self.mayReadPrivate(req)) : nil)
        return .noContent
    }

    /// Refuses a change to an attendee whose current version `If-Match` does not name (412).
    private static func ifMatch(_ req: Request, withPrivate: Bool) -> @Sendable (Int) throws -> Void {
        EntityTag.precondition(req.headers, "attendee") { Attendee.entityTag(version: $0, withPrivate: withPrivate) }
    }
}
