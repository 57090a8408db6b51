import Fluent
import Vapor

/// The contexts and renderers of Admin → Events.
enum EventPages {
    struct FormValues: Encodable {
        var name = "", description = "", startsAt = "", endsAt = "", venue = "", capacity = ""
        var timezone = "UTC", status = "draft"

        init() {}

        init(name: String, description: String, startsAt: String, endsAt: String, timezone: String, venue: String, capacity: String, status: String) {
            (self.name, self.description, self.startsAt, self.endsAt) = (name, description, startsAt, endsAt)
            (self.timezone, self.venue, self.capacity, self.status) = (timezone, venue, capacity, status)
        }

        init(_ event: EventRecord) {
            let view = EventView(event)
            self.init(
                name: event.name, description: event.description, startsAt: view.startsInput, endsAt: view.endsInput,
                timezone: event.timezone, venue: event.venue ?? "", capacity: event.capacity.map(String.init) ?? "", status: event.status.rawValue)
        }
    }

    /// What the person's role and the team's permissions allow on these pages, and why not.
    struct Access: Encodable {
        let canChangeEvents, canSeeAttendees, canChangeAttendees: Bool
        /// Why a part of the page is missing, in words for the page; nil when nothing is.
        let eventsNote, attendeesNote: String?

        init(_ current: CurrentUser.TeamMembership) {
            let isAdmin = current.role == .admin
            let permissions = current.team.permissions
            canChangeEvents = isAdmin && permissions.contains(.eventsWrite)
            canSeeAttendees = permissions.contains(.attendeesRead)
            canChangeAttendees = isAdmin && permissions.contains(.attendeesWrite)
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
        let isAdmin: Bool
        let access: Access
    }

    struct FormContext: Encodable {
        let page: PageContext
        let values: FormValues
        let problems: [FieldProblem]
        let hasProblems, isNew: Bool
        let action, cancelPath: String
        let timezones: [String]
    }

    struct EventContext: Encodable {
        let page: PageContext
        let event: EventView
        let attendees: [AttendeeView]
        let problems: [FieldProblem]
        let hasAttendees, isAdmin, hasProblems: Bool
        let access: Access
        /// The add-attendee form's values after a problem.
        let attendeeName, attendeeEmail: String
    }

    static let timezones: [String] = EventDraft.knownTimeZones.sorted()

    /// The create form (no event) or the edit form of `event`.
    static func form(
        _ req: Request, event: EventRecord?, values: FormValues, problems: [FieldProblem] = [], status: HTTPStatus = .ok
    ) async throws -> Response {
        let action = event.map { SitePath.event(.value($0.id)).path } ?? SitePath.events.path
        let context = FormContext(
            page: PageContext(req, title: event == nil ? "Create event" : "Edit event", section: "events"), values: values,
            problems: problems, hasProblems: !problems.isEmpty, isNew: event == nil, action: action, cancelPath: action, timezones: timezones)
        return try await req.renderPage("event-form", context, status: status)
    }

    static func event(
        _ req: Request, event: EventRecord, problems: [FieldProblem] = [], name: String = "", email: String = "", status: HTTPStatus = .ok
    ) async throws -> Response {
        let current = try req.requireTeam()
        let access = Access(current)
        let attendees = access.canSeeAttendees ? try await AttendeeStore.list(event: event.id, limit: 1000, on: req.db) : []
        let context = EventContext(
            page: PageContext(req, title: event.name, section: "events"), event: EventView(event),
            attendees: attendees.map { AttendeeView($0, event: event.id) }, problems: problems, hasAttendees: !attendees.isEmpty,
            isAdmin: current.role == .admin, hasProblems: !problems.isEmpty, access: access,
            attendeeName: String(name.prefix(300)), attendeeEmail: String(email.prefix(300)))
        return try await req.renderPage("event", context, status: status)
    }
}
