import Vapor

/// Admin → Events: organizers manage the same events and attendees the API serves, with the
/// same rules and messages. Members see everything read-only. The team's permissions apply as
/// they do to its keys: events pages need `events:read` (changes `events:write`), the attendee
/// list `attendees:read` (changes `attendees:write`).
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
        routes.post(.attendeeCheckIn(event: .parameter, attendee: .parameter), use: checkInAttendee)
    }

    private static let adminAction = "change events and attendees"

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeamPermission(.eventsRead, to: "see its events")
        let events = try await EventStore.list(team: current.team.id!, order: .startsAt, limit: 500, on: req.reads)
        let context = EventPages.ListContext(
            page: PageContext(req, title: "Events", section: "events"), events: events.map(EventView.init),
            hasEvents: !events.isEmpty, access: .init(current))
        return try await req.renderPage("events", context)
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        try Self.requireEventChanges(req)
        return try await EventPages.form(req, event: nil, values: .init())
    }

    @Sendable func create(req: Request) async throws -> Response {
        let current = try Self.requireEventChanges(req)
        let form = try req.content.decode(EventForm.self)
        do {
            let event = try await EventStore.create(
                team: current.team.id!, try form.draft(), by: try req.auditActor(), on: req.db,
                sqlite: req.sqliteWriter)
            Notice.set("Created “\(event.name)”.", on: req)
            return req.redirect(to: SitePath.event(.value(event.id)).path)
        } catch let error as DomainError {
            return try await EventPages.form(
                req, event: nil, values: form.values, problems: error.problems, status: error.status)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await EventPages.event(req, event: try await event(req))
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        try Self.requireEventChanges(req)
        let event = try await event(req)
        return try await EventPages.form(req, event: event, values: .init(event))
    }

    @Sendable func update(req: Request) async throws -> Response {
        try Self.requireEventChanges(req)
        let event = try await event(req)
        let form = try req.content.decode(EventForm.self)
        do {
            let draft = try form.draft()
            let saved = try await EventStore.update(event, by: try req.auditActor(), on: req.db) { _ in draft }
            Notice.set("Saved “\(saved.name)”.", on: req)
            return req.redirect(to: SitePath.event(.value(event.id)).path)
        } catch let error as DomainError {
            let problems =
                error.problems.isEmpty ? [FieldProblem(field: "event", message: error.message)] : error.problems
            return try await EventPages.form(
                req, event: event, values: form.values, problems: problems, status: error.status)
        }
    }

    @Sendable func cancel(req: Request) async throws -> Response {
        try Self.requireEventChanges(req)
        let event = try await event(req)
        _ = try await EventStore.update(event, by: try req.auditActor(), on: req.db) { current in
            var draft = current.draft
            draft.status = .cancelled
            return draft
        }
        Notice.set("Cancelled “\(event.name)”. Attendees keep their registrations on record.", on: req)
        return req.redirect(to: SitePath.event(.value(event.id)).path)
    }

    @Sendable func addAttendee(req: Request) async throws -> Response {
        try Self.requireAttendeeChanges(req)
        let event = try await event(req)
        let form = try req.content.decode(AttendeeForm.self)
        do {
            let attendee = try await AttendeeStore.register(
                try form.draft(), for: event, by: try req.auditActor(), on: req.db)
            Notice.set("Registered \(attendee.name).", on: req)
            return req.redirect(to: SitePath.event(.value(event.id)).path)
        } catch let error as DomainError {
            let problems =
                error.problems.isEmpty ? [FieldProblem(field: "attendee", message: error.message)] : error.problems
            return try await EventPages.event(
                req, event: event, problems: problems, name: form.name ?? "", email: form.email ?? "",
                status: error.status)
        }
    }

    /// Asks first: without `confirmed=yes` the answer is a page asking, and nothing changes.
    @Sendable func cancelAttendee(req: Request) async throws -> Response {
        try Self.requireAttendeeChanges(req)
        let event = try await event(req)
        let attendee = try await AttendeeStore.find(req.parameters.get("attendee"), of: event, on: req.db)
        guard ConfirmPage.isConfirmed(req) else {
            let eventPath = SitePath.event(.value(event.id)).path
            return try await ConfirmPage(
                page: PageContext(
                    req, title: "Cancel registration", section: "events",
                    trail: [.init(event.name, eventPath), .init("Cancel registration")]),
                question: "Cancel the registration of \(attendee.name)?",
                explanation:
                    "\(attendee.name) (\(attendee.email)) keeps their record, marked cancelled, and their place is freed.",
                action: AttendeeView(attendee, event: event.id).cancelPath, confirmLabel: "Cancel registration",
                keepLabel: "Keep registration", keepPath: eventPath
            ).response(for: req)
        }
        var draft = attendee.draft
        draft.status = .cancelled
        try await AttendeeStore.update(attendee, to: draft, event: event, by: try req.auditActor(), on: req.db)
        Notice.set("Cancelled the registration of \(attendee.name).", on: req)
        return req.redirect(to: SitePath.event(.value(event.id)).path)
    }

    /// Checks an attendee in from the list (a door volunteer at a laptop): any member of a team
    /// holding `attendees:check_in` (or `attendees:write`), like a door key.
    @Sendable func checkInAttendee(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        guard EventPages.Access(current).canCheckIn else {
            _ = try req.requireTeamPermission(.attendeesCheckIn, to: "check attendees in")
            return req.redirect(to: SitePath.events.path)
        }
        let event = try await event(req)
        let attendee = try await AttendeeStore.find(req.parameters.get("attendee"), of: event, on: req.db)
        do {
            _ = try await CheckIn.checkIn(
                code: attendee.ticketCode ?? "", at: event, by: try req.auditActor(), on: req.db)
            Notice.set("Checked in \(attendee.name).", on: req)
        } catch let refusal as CheckIn.Refusal {
            let message =
                switch refusal {
                case .alreadyCheckedIn(let at):
                    "\(attendee.name) was already checked in\(at.map { " at \(RFC3339.format($0))" } ?? "")."
                case .cancelledAttendee: "\(attendee.name)’s registration is cancelled; they cannot be checked in."
                case .cancelledEvent: "This event is cancelled; nobody can be checked in."
                case .unknownCode: "\(attendee.name) has no ticket code to check in with."
                }
            Notice.set(message, on: req)
        }
        return req.redirect(to: SitePath.event(.value(event.id)).path)
    }

    /// An event of the current team, which must hold `events:read` (as its keys need to read it).
    private func event(_ req: Request) async throws -> EventRecord {
        let current = try req.requireTeamPermission(.eventsRead, to: "see its events")
        return try await EventStore.find(req.parameters.get("event"), team: current.team.id!, on: req.db)
    }

    @discardableResult
    private static func requireEventChanges(_ req: Request) throws -> CurrentUser.TeamMembership {
        _ = try req.requireTeamAdmin(to: adminAction)
        return try req.requireTeamPermission(.eventsWrite, to: "create or change events")
    }

    @discardableResult
    private static func requireAttendeeChanges(_ req: Request) throws -> CurrentUser.TeamMembership {
        _ = try req.requireTeamAdmin(to: adminAction)
        return try req.requireTeamPermission(.attendeesWrite, to: "register or cancel attendees")
    }
}
