import Fluent
import Vapor

/// Admin → Events: organizers manage the same events and attendees the API serves, with the
/// same rules and messages. Members see everything read-only.
struct EventsController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let events = routes.grouped("admin", "events")
        events.get(use: list)
        events.get("new", use: newPage)
        events.post(use: create)
        events.get(":event", use: show)
        events.get(":event", "edit", use: editPage)
        events.post(":event", use: update)
        events.post(":event", "cancel", use: cancel)
        events.post(":event", "attendees", use: addAttendee)
        events.post(":event", "attendees", ":attendee", "cancel", use: cancelAttendee)
    }

    struct ListContext: Encodable {
        let page: PageContext
        let events: [EventView]
        let hasEvents: Bool
        let isAdmin: Bool
    }

    struct FormContext: Encodable {
        struct Values: Encodable {
            var name = ""
            var description = ""
            var startsAt = ""
            var endsAt = ""
            var timezone = "UTC"
            var venue = ""
            var capacity = ""
            var status = "draft"
        }
        let page: PageContext
        let values: Values
        let problems: [FieldProblem]
        let hasProblems: Bool
        let action: String
        let isNew: Bool
        let cancelPath: String
        let timezones: [String]
    }

    struct EventContext: Encodable {
        let page: PageContext
        let event: EventView
        let attendees: [AttendeeView]
        let hasAttendees: Bool
        let isAdmin: Bool
        let problems: [FieldProblem]
        let hasProblems: Bool
        let attendeeName: String
        let attendeeEmail: String
    }

    @Sendable func list(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        let events = try await Event.query(on: req.db).filter(\.$team.$id == current.team.id!)
            .sort(\.$startsAt).sort(\.$id).limit(500).all()
        let context = ListContext(page: PageContext(req, title: "Events", section: "events"), events: events.map(EventView.init), hasEvents: !events.isEmpty, isAdmin: current.role == .admin)
        return try await req.renderPage("events", context)
    }

    @Sendable func newPage(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: "change events and attendees")
        return try await renderForm(req, values: .init(), problems: [], action: "/admin/events", isNew: true, cancelPath: "/admin/events")
    }

    struct EventForm: Content {
        var name: String?
        var description: String?
        var startsAt: String?
        var endsAt: String?
        var timezone: String?
        var venue: String?
        var capacity: String?
        var status: String?

        enum CodingKeys: String, CodingKey {
            case name, description, timezone, venue, capacity, status
            case startsAt = "starts_at", endsAt = "ends_at"
        }

        var values: FormContext.Values {
            .init(
                name: String((name ?? "").prefix(300)), description: String((description ?? "").prefix(12_000)),
                startsAt: String((startsAt ?? "").prefix(40)), endsAt: String((endsAt ?? "").prefix(40)),
                timezone: String((timezone ?? "UTC").prefix(64)), venue: String((venue ?? "").prefix(300)),
                capacity: String((capacity ?? "").prefix(20)), status: status ?? "draft")
        }

        /// The form as an `EventDraft`, or the problems that stop it being one.
        func draft() -> Result<EventDraft, APIError> {
            var problems: [FieldProblem] = []
            let zoneName = FormInput.text(timezone) ?? ""
            let zone = TimeZone(identifier: zoneName)
            if !EventRules.isKnownTimeZone(zoneName) {
                problems.append(.init(field: "timezone", message: "timezone must be an IANA time zone name, like Europe/Berlin."))
            }
            let starts = zone.flatMap { LocalTime.parse(startsAt ?? "", in: $0) }
            let ends = zone.flatMap { LocalTime.parse(endsAt ?? "", in: $0) }
            if zone != nil, starts == nil { problems.append(.init(field: "starts_at", message: "starts_at must be a date and time.")) }
            if zone != nil, ends == nil { problems.append(.init(field: "ends_at", message: "ends_at must be a date and time.")) }
            var capacityValue: Int?
            if let text = FormInput.text(capacity) {
                if let value = Int(text) { capacityValue = value } else {
                    problems.append(.init(field: "capacity", message: "capacity must be a whole number from 0 to 1,000,000."))
                }
            }
            guard let eventStatus = EventStatus(rawValue: status ?? "draft") else {
                return .failure(.validation(problems + [.init(field: "status", message: EventRules.statusMessage)]))
            }
            guard problems.isEmpty, let starts, let ends else { return .failure(.validation(problems)) }
            return .success(EventDraft(
                name: (name ?? "").trimmingCharacters(in: .whitespacesAndNewlines), description: description ?? "",
                startsAt: starts, endsAt: ends, timezone: zoneName, venue: FormInput.text(venue), capacity: capacityValue,
                status: eventStatus))
        }
    }

    @Sendable func create(req: Request) async throws -> Response {
        let current = try req.requireTeamAdmin(to: "change events and attendees")
        let form = try req.content.decode(EventForm.self)
        do {
            let draft = try form.draft().get()
            let event = try await EventStore.createEvent(teamID: current.team.id!, draft, on: req.db)
            Notice.set("Created “\(event.name)”.", on: req)
            return req.redirect(to: EventView(event).path)
        } catch let error as APIError {
            return try await renderForm(req, values: form.values, problems: error.problems, action: "/admin/events", isNew: true,
                                        cancelPath: "/admin/events", status: error.status)
        }
    }

    @Sendable func show(req: Request) async throws -> Response {
        try await renderEvent(req, event: try await event(req))
    }

    @Sendable func editPage(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: "change events and attendees")
        let event = try await event(req)
        let view = EventView(event)
        let values = FormContext.Values(
            name: event.name, description: event.description, startsAt: view.startsInput, endsAt: view.endsInput,
            timezone: event.timezone, venue: event.venue ?? "", capacity: event.capacity.map(String.init) ?? "", status: event.status.rawValue)
        return try await renderForm(req, values: values, problems: [], action: view.path, isNew: false, cancelPath: view.path)
    }

    @Sendable func update(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: "change events and attendees")
        let event = try await event(req)
        let form = try req.content.decode(EventForm.self)
        do {
            try await EventStore.updateEvent(event, try form.draft().get(), on: req.db)
            Notice.set("Saved “\(event.name)”.", on: req)
            return req.redirect(to: EventView(event).path)
        } catch let error as APIError {
            let path = EventView(event).path
            return try await renderForm(req, values: form.values, problems: error.problems.isEmpty ? [.init(field: "event", message: error.detail)] : error.problems,
                                        action: path, isNew: false, cancelPath: path, status: error.status)
        }
    }

    @Sendable func cancel(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: "change events and attendees")
        let event = try await event(req)
        var draft = UpdateEventDraft.from(event)
        draft.status = .cancelled
        try await EventStore.updateEvent(event, draft, on: req.db)
        Notice.set("Cancelled “\(event.name)”. Attendees keep their registrations on record.", on: req)
        return req.redirect(to: EventView(event).path)
    }

    struct AttendeeForm: Content {
        var name: String?
        var email: String?
        var ticketType: String?

        enum CodingKeys: String, CodingKey {
            case name, email
            case ticketType = "ticket_type"
        }
    }

    @Sendable func addAttendee(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: "change events and attendees")
        let event = try await event(req)
        let form = try req.content.decode(AttendeeForm.self)
        let draft = AttendeeDraft(
            name: (form.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines),
            email: (form.email ?? "").trimmingCharacters(in: .whitespacesAndNewlines).lowercased(),
            ticketType: FormInput.text(form.ticketType) ?? "general", status: .registered)
        do {
            let attendee = try await EventStore.register(draft, for: event, on: req.db)
            Notice.set("Registered \(attendee.name).", on: req)
            return req.redirect(to: EventView(event).path)
        } catch let error as APIError {
            let problems = error.problems.isEmpty ? [FieldProblem(field: "attendee", message: error.detail)] : error.problems
            return try await renderEvent(req, event: event, problems: problems, name: form.name ?? "", email: form.email ?? "", status: error.status)
        }
    }

    @Sendable func cancelAttendee(req: Request) async throws -> Response {
        _ = try req.requireTeamAdmin(to: "change events and attendees")
        let event = try await event(req)
        let attendee = try await EventStore.attendee(req.parameters.get("attendee"), of: event, on: req.db)
        var draft = AttendeeDraft(name: attendee.name, email: attendee.email, ticketType: attendee.ticketType, status: attendee.status)
        draft.status = .cancelled
        try await EventStore.updateAttendee(attendee, draft, event: event, on: req.db)
        Notice.set("Cancelled the registration of \(attendee.name).", on: req)
        return req.redirect(to: EventView(event).path)
    }

    // MARK: - Helpers

    private func renderForm(
        _ req: Request, values: FormContext.Values, problems: [FieldProblem], action: String, isNew: Bool, cancelPath: String,
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let context = FormContext(
            page: PageContext(req, title: isNew ? "Create event" : "Edit event", section: "events"), values: values, problems: problems, hasProblems: !problems.isEmpty,
            action: action, isNew: isNew, cancelPath: cancelPath, timezones: Self.timezones)
        return try await req.renderPage("event-form", context, status: status)
    }

    private func renderEvent(
        _ req: Request, event: Event, problems: [FieldProblem] = [], name: String = "", email: String = "", status: HTTPStatus = .ok
    ) async throws -> Response {
        let current = try req.requireTeam()
        let view = EventView(event)
        let attendees = try await Attendee.query(on: req.db).filter(\.$event.$id == event.id!).sort(\.$id).limit(1000).all()
        let context = EventContext(
            page: PageContext(req, title: event.name, section: "events"), event: view,
            attendees: attendees.map { AttendeeView($0, eventPath: view.path) }, hasAttendees: !attendees.isEmpty,
            isAdmin: current.role == .admin, problems: problems, hasProblems: !problems.isEmpty, attendeeName: String(name.prefix(300)), attendeeEmail: String(email.prefix(300)))
        return try await req.renderPage("event", context, status: status)
    }

    private func event(_ req: Request) async throws -> Event {
        let current = try req.requireTeam()
        do {
            return try await EventStore.event(req.parameters.get("event"), teamID: current.team.id!, on: req.db)
        } catch is APIError {
            throw Abort(.notFound, reason: "There is no such event in this team.")
        }
    }

    static let timezones: [String] = EventRules.knownTimeZones.sorted()
}

/// The current state of an event as a draft, for changes that touch one field.
enum UpdateEventDraft {
    static func from(_ event: Event) -> EventDraft {
        EventDraft(
            name: event.name, description: event.description, startsAt: event.startsAt, endsAt: event.endsAt,
            timezone: event.timezone, venue: event.venue, capacity: event.capacity, status: event.status)
    }
}
