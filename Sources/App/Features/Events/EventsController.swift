import Vapor

/// Admin → Events: organizers manage the same events and attendees the API serves, with the
/// same rules and messages. Members see everything read-only.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get(.events, use: list)
        routes.get(.eventsNew, use: newPage)
        routes.post(.events, use: create)
        routes.get(.event(.parameter), use: show)
        routes.get(.eventEdit(.parameter), use: editPage)
        routes.post(.event(.parameter), use: update)
        routes.post(.eventCancel(.parameter), use: cancel)
        routes.post(.eventAttendees(.parameter), use: addAttendee)
        routes.post(.attendeeCancel(event: .parameter, attendee: .parameter), use: cancelAttendee)
    }

    private static let adminAction = "change events and attendees"

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let events = try await EventStore.list(team: current.team.id!, order: .startsAt, limit: 500, on: req.db)
        let context = EventPages.ListContext(
            page: PageContext(req, title: "Events", section: "events"), events: events.map(EventView.init), hasEvents: !events.isEmpty,
            isAdmin: current.role == .admin)
        return try await req.renderPage("events", context)
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        return try await EventPages.form(req, event: nil, values: .init())
    }

    @Sendable func create(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: Self.adminAction)
        let form = try req.content.decode(EventForm.self)
        do {
            let event = try await EventStore.create(team: current.team.id!, try form.draft(), on: req.db)
            Notice.set("Created “\(event.name)”.", on: req)
            return req.redirect(to: SitePath.event(.value(event.id)).path)
        } catch let error as DomainError {
            return try await EventPages.form(req, event: nil, values: form.values, problems: error.problems, status: error.status)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await EventPages.event(req, event: try await event(req))
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let event = try await event(req)
        return try await EventPages.form(req, event: event, values: .init(event))
    }

    @Sendable func update(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let event = try await event(req)
        let form = try req.content.decode(EventForm.self)
        do {
            let saved = try await EventStore.update(event, to: try form.draft(), on: req.db)
            Notice.set("Saved “\(saved.name)”.", on: req)
            return req.redirect(to: SitePath.event(.value(event.id)).path)
        } catch let error as DomainError {
            let problems = error.problems.isEmpty ? [FieldProblem(field: "event", message: error.message)] : error.problems
            return try await EventPages.form(req, event: event, values: form.values, problems: problems, status: error.status)
        }
    }

    @Sendable func cancel(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let event = try await event(req)
        var draft = event.draft
        draft.status = .cancelled
        _ = try await EventStore.update(event, to: draft, on: req.db)
        Notice.set("Cancelled “\(event.name)”. Attendees keep their registrations on record.", on: req)
        return req.redirect(to: SitePath.event(.value(event.id)).path)
    }

    @Sendable func addAttendee(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let event = try await event(req)
        let form = try req.content.decode(AttendeeForm.self)
        do {
            let attendee = try await AttendeeStore.register(try form.draft(), for: event, on: req.db)
            Notice.set("Registered \(attendee.name).", on: req)
            return req.redirect(to: SitePath.event(.value(event.id)).path)
        } catch let error as DomainError {
            let problems = error.problems.isEmpty ? [FieldProblem(field: "attendee", message: error.message)] : error.problems
            return try await EventPages.event(req, event: event, problems: problems, name: form.name ?? "", email: form.email ?? "", status: error.status)
        }
    }

    @Sendable func cancelAttendee(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: Self.adminAction)
        let event = try await event(req)
        let attendee = try await AttendeeStore.find(req.parameters.get("attendee"), of: event, on: req.db)
        var draft = attendee.draft
        draft.status = .cancelled
        try await AttendeeStore.update(attendee, to: draft, event: event, on: req.db)
        Notice.set("Cancelled the registration of \(attendee.name).", on: req)
        return req.redirect(to: SitePath.event(.value(event.id)).path)
    }

    private func event(_ req: Request) async throws -> EventRecord {
        try await EventStore.find(req.parameters.get("event"), team: try req.requireTeam().team.id!, on: req.db)
    }
}
