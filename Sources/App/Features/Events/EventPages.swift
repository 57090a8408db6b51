import Fluent
import Vapor

/// The contexts and renderers of Admin → Events.
enum EventPages {
    struct FormValues: Encodable {
        var name = "", description = "", startsAt = "", endsAt = "", venue = "", capacity = ""
        var timezone = "UTC", status = "draft"

        init() {}

        init(
            name: String, description: String, startsAt: String, endsAt: String, timezone: String, venue: String,
            capacity: String, status: String
        ) {
            (self.name, self.description, self.startsAt, self.endsAt) = (name, description, startsAt, endsAt)
            (self.timezone, self.venue, self.capacity, self.status) = (timezone, venue, capacity, status)
        }

        init(_ event: EventRecord) {
            let view = EventView(event)
            self.init(
                name: event.name, description: event.description, startsAt: view.startsInput, endsAt: view.endsInput,
                timezone: event.timezone, venue: event.venue ?? "", capacity: event.capacity.map(String.init) ?? "",
                status: event.status.rawValue)
        }
    }

    /// What the person's role and the team's permissions allow on these pages, and why not.
    struct Access: Encodable {
        let canChangeEvents, canSeeAttendees, canChangeAttendees: Bool
        /// Any member may check attendees in when the team holds `attendees:check_in` (or
        /// `attendees:write`): the door is often a volunteer's job, not an admin's.
        let canCheckIn: Bool
        /// Activity is for admins: "Activity on this event" for them only.
        let canSeeActivity: Bool
        /// Why a part of the page is missing, in words for the page; nil when nothing is.
        let eventsNote, attendeesNote: String?

        init(_ current: CurrentUser.TeamMembership) {
            let isAdmin = current.role == .admin
            canSeeActivity = isAdmin
            let permissions = current.team.permissions
            canChangeEvents = isAdmin && permissions.contains(.eventsWrite)
            canSeeAttendees = permissions.contains(.attendeesRead)
            canChangeAttendees = isAdmin && permissions.contains(.attendeesWrite)
            canCheckIn = !permissions.isDisjoint(with: [.attendeesCheckIn, .attendeesWrite])
            if !isAdmin {
                eventsNote = "Only team admins can create or change events and attendees."
            } else if !permissions.contains(.eventsWrite) {
                eventsNote = Request.missing(.eventsWrite, to: "create or change events", in: current.team)
            } else {
                eventsNote = nil
            }
            if !canSeeAttendees {
                attendeesNote = Request.missing(.attendeesRead, to: "see attendees", in: current.team)
            } else if isAdmin, !canChangeAttendees {
                attendeesNote = Request.missing(.attendeesWrite, to: "register or cancel attendees", in: current.team)
            } else {
                attendeesNote = nil
            }
        }
    }

    struct ListContext: Encodable {
        let page: PageContext
        let events: [EventView]
        let hasEvents: Bool
        let access: Access
    }

    struct FormContext: Encodable {
        let page: PageContext
        let values: FormValues
        let errors: FormErrors
        let isNew: Bool
        let action, cancelPath: String
        let timezones: [String]
    }

    struct EventContext: Encodable {
        let page: PageContext
        let event: EventView
        let attendees: [AttendeeView]
        /// The add-attendee form's problems.
        let errors: FormErrors
        let hasAttendees: Bool
        let access: Access
        /// The add-attendee form's values after a problem.
        let attendeeName, attendeeEmail: String
        /// The team's API keys that reach this event: those for all events, and those chosen for it.
        let keys: [KeyReach]
        let hasKeys: Bool
    }

    struct KeyReach: Encodable {
        let name, path: String
        let scoped: Bool
    }

    static let timezones: [String] = EventDraft.knownTimeZones.sorted()

    /// The ids of the event form's inputs, by the field names the rules use.
    static let eventFieldIDs = [
        "name": "event-name", "description": "event-description", "starts_at": "event-starts", "ends_at": "event-ends",
        "timezone": "event-timezone", "venue": "event-venue", "capacity": "event-capacity", "status": "event-status",
    ]
    static let attendeeFieldIDs = [
        "name": "attendee-name", "email": "attendee-email", "ticket_type": "attendee-ticket",
    ]

    /// The create form (no event) or the edit form of `event`.
    static func form(
        _ req: Request, event: EventRecord?, values: FormValues, problems: [FieldProblem] = [], status: HTTPStatus = .ok
    ) async throws -> Response {
        let action = event.map { SitePath.event(.value($0.id)).path } ?? SitePath.events.path
        let context = FormContext(
            page: PageContext(
                req, title: event == nil ? "Create event" : "Edit event", section: "events",
                trail: event.map { [.init($0.name, SitePath.event(.value($0.id)).path), .init("Edit")] }),
            values: values, errors: FormErrors(problems, ids: eventFieldIDs), isNew: event == nil, action: action,
            cancelPath: action, timezones: timezones)
        return try await req.renderPage("event-form", context, status: status)
    }

    static func event(
        _ req: Request, event: EventRecord, problems: [FieldProblem] = [], name: String = "", email: String = "",
        status: HTTPStatus = .ok
    ) async throws -> Response {
        let current = try req.requireTeam()
        let access = Access(current)
        let attendees =
            access.canSeeAttendees ? try await AttendeeStore.list(event: event.id, limit: 1000, on: req.db) : []
        let keys = try await EventScopeStore.keys(reaching: event.id, team: event.teamID, on: req.db).map {
            KeyReach(name: $0.name, path: SitePath.apiKey(.value($0.id)).path, scoped: $0.scoped)
        }
        let context = EventContext(
            page: PageContext(req, title: event.name, section: "events"), event: EventView(event),
            attendees: attendees.map { AttendeeView($0, event: event.id) },
            errors: FormErrors(problems, ids: attendeeFieldIDs),
            hasAttendees: !attendees.isEmpty, access: access,
            attendeeName: String(name.prefix(300)), attendeeEmail: String(email.prefix(300)),
            keys: keys, hasKeys: !keys.isEmpty)
        return try await req.renderPage("event", context, status: status)
    }
}
