import Foundation
import Vapor

/// `/api/v1/organizer/events/{id}/check-ins`: the door. A key checks attendees in with
/// `attendees:check_in` (or `attendees:write`); failed codes are limited per key.
struct CheckInsAPIController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        let door = routes.grouped(RequirePermission(.attendeesCheckIn, or: [.attendeesWrite]))
        door.post(use: checkIn)
        door.delete(.parameter("attendee"), use: undo)
    }

    /// `{"ticket_code": "…"}`.
    struct CheckInRequest: Decodable {
        let ticketCode: String

        enum CodingKeys: String, CodingKey, CaseIterable { case ticketCode = "ticket_code" }

        init(from decoder: any Decoder) throws {
            ticketCode = try decoder.strictContainer(keyedBy: CodingKeys.self).decode(String.self, forKey: .ticketCode)
        }
    }

    @Sendable func checkIn(req: Request) async throws -> Response {
        req.application.metrics.query(.write, "api")
        let key = try req.requireAPIKey()
        // An id that cannot be an event's answers 404 before the body is looked at, as every event path does.
        guard let eventID = req.parameters.get("event").flatMap(UUID.init(uuidString:)) else {
            throw EventStore.notFound
        }
        let body = try req.content.decode(CheckInRequest.self)
        // Something that cannot be a code (a scanner's misread) is refused as such and counts
        // against nothing: it can never match, so it guesses nothing.
        guard let code = TicketCode.normalise(body.ticketCode) else {
            throw DomainError.invalid([
                FieldProblem(
                    field: "ticket_code",
                    message: "ticket_code must be a ticket code: 12 letters and digits, like 7K3M9QXR2B4T.")
            ])
        }
        // Only unknown codes count, and a key over the limit is refused before any lookup. Unlike
        // logins, an attempt is not reserved before it runs: a door scanning many tickets at once
        // must not refuse itself, and what a burst could add before its failures are counted
        // (one guess per connection in flight) is nothing against a code of 60 random bits.
        let limiter = req.application.limits.failedCheckIns
        let limitKey = key.id.uuidString
        if let blocked = limiter?.isBlocked(limitKey) {
            throw APIError(
                status: .tooManyRequests,
                detail:
                    "This key sent too many ticket codes that no attendee has. Retry after \(blocked.resetSeconds) seconds.",
                headers: ["Retry-After": String(blocked.resetSeconds)])
        }
        let door = CheckIn.Door(event: eventID, team: key.teamID, scopedToKey: key.scopeKey)
        if let attendee = try await CheckIn.checkIn(code: code, at: door, by: try req.auditActor(), on: req.db) {
            req.keyState.eventUsed = eventID
            return try await attendee.toDTO(withPrivate: try AttendeesAPIController.mayReadPrivate(req))
                .response(.created, for: req)
        }
        // Nothing changed: a missing or out-of-reach event answers 404 here, like on every event path.
        let event = try await req.keyEvent()
        do {
            throw try await CheckIn.refusal(code: code, at: event, on: req.db)
        } catch let refusal as CheckIn.Refusal {
            switch refusal {
            case .unknownCode:
                _ = limiter?.hit(limitKey)
                throw DomainError.notFound("No attendee of this event has that ticket code.")
            case .alreadyCheckedIn(let at):
                let when = at.map { " at \(RFC3339.format($0))" } ?? ""
                return ProblemDetails(
                    type: ProblemType.alreadyCheckedIn.uri, title: "Already checked in", status: 409,
                    detail: "This ticket was already checked in\(when).",
                    extensions: at.map { ["checked_in_at": RFC3339.format($0)] } ?? [:]
                ).response()
            case .cancelledAttendee:
                return ProblemDetails(
                    type: ProblemType.registrationCancelled.uri, title: "Registration cancelled", status: 409,
                    detail: "This ticket's registration was cancelled; it cannot be checked in."
                ).response()
            case .cancelledEvent:
                return ProblemDetails(
                    type: ProblemType.eventCancelled.uri, title: "Event cancelled", status: 409,
                    detail: "This event is cancelled; nobody can be checked in."
                ).response()
            }
        }
    }

    /// Undoes a mistaken check-in (recorded in the team's Activity): the attendee is registered again.
    @Sendable func undo(req: Request) async throws -> HTTPStatus {
        let key = try req.requireAPIKey()
        let event = try await req.keyEvent()
        let attendee = try await AttendeeStore.find(req.parameters.get("attendee"), of: event, on: req.db)
        let actor = try req.auditActor()
        try await req.db.transaction { db in
            guard try await CheckIn.undo(attendee, on: db) else {
                throw DomainError.conflict("\(attendee.name) is not checked in.")
            }
            try await Audit.record(
                .checkInUndone, team: key.teamID, by: actor,
                "undid the check-in of \(attendee.name) at “\(event.name)”",
                event: event.id, on: db)
            try await WebhookOutbox.record(
                .attendeeUpdated, team: key.teamID, object: attendee.id, data: try attendee.webhookData, on: db)
        }
        return .noContent
    }
}
