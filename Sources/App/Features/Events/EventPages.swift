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

    struct ListContext: Encodable {
        let page: PageContext
        let events: [EventView]
        let hasEvents: Bool
        let isAdmin: Bool
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
        let attendees = try await AttendeeStore.list(event: event.id, limit: 1000, on: req.db)
        let context = EventContext(
            page: PageContext(req, title: event.name, section: "events"), event: EventView(event),
            attendees: attendees.map { AttendeeView($0, event: event.id) }, problems: problems, hasAttendees: !attendees.isEmpty,
            isAdmin: current.role == .admin, hasProblems: !problems.isEmpty,
            attendeeName: String(name.prefix(300)), attendeeEmail: String(email.prefix(300)))
        return try await req.renderPage("event", context, status: status)
    }
}
