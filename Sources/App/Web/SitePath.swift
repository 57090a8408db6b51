import Vapor

/// Every path of the site in one place, web pages, API routes and shipped files: routes are
/// registered from it and links (templates get theirs through `SitePaths`) and `Location`
/// headers are built from it, so the two cannot drift apart.
enum SitePath {
    /// An id in a path: the value when building a link, the route parameter when registering.
    enum ID {
        case parameter
        case value(UUID)
    }

    case home, signup, login, logout, switchTeam
    case admin, team, teamMembers, teamMemberRole(ID), teamMemberRemove(ID), teamLeave, teamDelete, activity,
        activityExport
    case teamInvitationWithdraw(ID), invitationAccept(ID), invitationDecline(ID)
    /// An invitation's link: its token, or nil for the route parameter.
    case join(String?)
    case apiKeys, apiKeysNew, apiKeysSearch, apiKey(ID), apiKeyEdit(ID), apiKeyRoll(ID), apiKeyPause(ID), apiKeyResume(
        ID),
        apiKeyEndGrace(ID), apiKeyDelete(ID)
    case apiKeyRestrict(ID)
    case apiKeyDismissLeak(ID), apiKeysDismissExpiryNotice
    case apiKeyRequests(ID), apiKeyRequest(key: ID, request: ID)
    case teamKeyPolicy, teamRequestBudget, teamNextStepsDismiss
    case webhooks, webhooksNew, webhook(ID), webhookEdit(ID), webhookDelete(ID), webhookPause(ID), webhookResume(ID),
        webhookRoll(ID), webhookTest(ID), webhookReplay(ID), webhookMessage(endpoint: ID, message: ID),
        webhookResend(endpoint: ID, message: ID)
    case apiReference
    case events, eventsNew, event(ID), eventEdit(ID), eventCancel(ID), eventAttendees(ID), attendeeCancel(
        event: ID, attendee: ID), attendeeCheckIn(event: ID, attendee: ID)
    case stylesheet, script
    // The API.
    case openAPIDocument, apiV1, apiOrganizer, apiEvents, apiEvent(ID), apiAttendees(event: ID), apiAttendee(
        event: ID, attendee: ID)
    case apiCheckIns(event: ID), apiCheckIn(event: ID, attendee: ID)

    private enum Segment {
        case constant(String)
        case id(parameter: String, ID)
        /// A parameter that is not an id (an invitation link's token): nil when registering.
        case text(parameter: String, String?)
    }

    private var segments: [Segment] {
        let team: [Segment] = [.constant("admin"), .constant("team")]
        let events: [Segment] = [.constant("admin"), .constant("events")]
        let v1: [Segment] = [.constant("api"), .constant("v1")]
        switch self {
        case .home: return []
        case .signup: return [.constant("signup")]
        case .login: return [.constant("login")]
        case .logout: return [.constant("logout")]
        case .switchTeam: return [.constant("team"), .constant("switch")]
        case .admin: return [.constant("admin")]
        case .team: return team
        case .teamMembers: return team + [.constant("members")]
        case .teamMemberRole(let id):
            return team + [.constant("members"), .id(parameter: "membership", id), .constant("role")]
        case .teamMemberRemove(let id):
            return team + [.constant("members"), .id(parameter: "membership", id), .constant("remove")]
        case .teamLeave: return team + [.constant("leave")]
        case .teamDelete: return team + [.constant("delete")]
        case .teamInvitationWithdraw(let id):
            return team + [.constant("invitations"), .id(parameter: "invitation", id), .constant("withdraw")]
        case .invitationAccept(let id):
            return [.constant("invitations"), .id(parameter: "invitation", id), .constant("accept")]
        case .invitationDecline(let id):
            return [.constant("invitations"), .id(parameter: "invitation", id), .constant("decline")]
        case .join(let token): return [.constant("join"), .text(parameter: "token", token)]
        case .activity: return team + [.constant("activity")]
        case .activityExport: return team + [.constant("activity"), .constant("export.csv")]
        case .apiKeys: return team + [.constant("api-keys")]
        case .apiKeysNew: return team + [.constant("api-keys"), .constant("new")]
        case .apiKeysDismissExpiryNotice: return team + [.constant("api-keys"), .constant("dismiss-expiry-notice")]
        case .apiKeysSearch: return team + [.constant("api-keys"), .constant("search")]
        case .apiKey(let id): return team + [.constant("api-keys"), .id(parameter: "key", id)]
        case .apiKeyEdit(let id): return Self.apiKey(id).segments + [.constant("edit")]
        case .apiKeyRoll(let id): return Self.apiKey(id).segments + [.constant("roll")]
        case .apiKeyPause(let id): return Self.apiKey(id).segments + [.constant("pause")]
        case .apiKeyResume(let id): return Self.apiKey(id).segments + [.constant("resume")]
        case .apiKeyEndGrace(let id): return Self.apiKey(id).segments + [.constant("end-grace")]
        case .apiKeyDelete(let id): return Self.apiKey(id).segments + [.constant("delete")]
        case .apiKeyRestrict(let id): return Self.apiKey(id).segments + [.constant("restrict")]
        case .apiKeyDismissLeak(let id): return Self.apiKey(id).segments + [.constant("dismiss-leak-notice")]
        case .apiKeyRequests(let id): return Self.apiKey(id).segments + [.constant("requests")]
        case .apiKeyRequest(let key, let request):
            return Self.apiKeyRequests(key).segments + [.id(parameter: "request", request)]
        case .webhooks: return team + [.constant("webhooks")]
        case .webhooksNew: return team + [.constant("webhooks"), .constant("new")]
        case .webhook(let id): return team + [.constant("webhooks"), .id(parameter: "endpoint", id)]
        case .webhookEdit(let id): return Self.webhook(id).segments + [.constant("edit")]
        case .webhookDelete(let id): return Self.webhook(id).segments + [.constant("delete")]
        case .webhookPause(let id): return Self.webhook(id).segments + [.constant("pause")]
        case .webhookResume(let id): return Self.webhook(id).segments + [.constant("resume")]
        case .webhookRoll(let id): return Self.webhook(id).segments + [.constant("roll-secret")]
        case .webhookTest(let id): return Self.webhook(id).segments + [.constant("test")]
        case .webhookReplay(let id): return Self.webhook(id).segments + [.constant("replay")]
        case .webhookMessage(let endpoint, let message):
            return Self.webhook(endpoint).segments + [.constant("messages"), .id(parameter: "message", message)]
        case .webhookResend(let endpoint, let message):
            return Self.webhookMessage(endpoint: endpoint, message: message).segments + [.constant("resend")]
        case .teamKeyPolicy: return team + [.constant("key-policy")]
        case .teamRequestBudget: return team + [.constant("request-budget")]
        case .teamNextStepsDismiss: return team + [.constant("next-steps"), .constant("dismiss")]
        case .apiReference: return [.constant("docs"), .constant("api")]
        case .events: return events
        case .eventsNew: return events + [.constant("new")]
        case .event(let id): return events + [.id(parameter: "event", id)]
        case .eventEdit(let id): return events + [.id(parameter: "event", id), .constant("edit")]
        case .eventCancel(let id): return events + [.id(parameter: "event", id), .constant("cancel")]
        case .eventAttendees(let id): return events + [.id(parameter: "event", id), .constant("attendees")]
        case .attendeeCancel(let event, let attendee):
            return events + [
                .id(parameter: "event", event), .constant("attendees"), .id(parameter: "attendee", attendee),
                .constant("cancel"),
            ]
        case .attendeeCheckIn(let event, let attendee):
            return events + [
                .id(parameter: "event", event), .constant("attendees"), .id(parameter: "attendee", attendee),
                .constant("check-in"),
            ]
        case .stylesheet: return [.constant("style.css")]
        case .script: return [.constant("app.js")]
        case .openAPIDocument: return v1 + [.constant("openapi.json")]
        case .apiV1: return v1
        case .apiOrganizer: return v1 + [.constant("organizer")]
        case .apiEvents: return Self.apiOrganizer.segments + [.constant("events")]
        case .apiEvent(let id): return Self.apiEvents.segments + [.id(parameter: "event", id)]
        case .apiAttendees(let event): return Self.apiEvent(event).segments + [.constant("attendees")]
        case .apiAttendee(let event, let attendee):
            return Self.apiAttendees(event: event).segments + [.id(parameter: "attendee", attendee)]
        case .apiCheckIns(let event): return Self.apiEvent(event).segments + [.constant("check-ins")]
        case .apiCheckIn(let event, let attendee):
            return Self.apiCheckIns(event: event).segments + [.id(parameter: "attendee", attendee)]
        }
    }

    /// The path for a link: `/admin/events/0190…`.
    var path: String {
        "/"
            + segments.map { segment in
                switch segment {
                case .constant(let text): text
                case .id(let parameter, .parameter): ":" + parameter
                case .id(_, .value(let id)): id.lowercasedString
                case .text(let parameter, nil): ":" + parameter
                case .text(_, let value?): value
                }
            }.joined(separator: "/")
    }

    /// The path as route components, parameters named after what they hold.
    var route: [PathComponent] {
        segments.map { segment in
            switch segment {
            case .constant(let text): .constant(text)
            case .id(let parameter, _), .text(let parameter, _): .parameter(parameter)
            }
        }
    }
}

extension RoutesBuilder {
    @discardableResult
    func get(_ path: SitePath, use handler: @escaping @Sendable (Request) async throws -> Response) -> Route {
        get(path.route, use: handler)
    }

    @discardableResult
    func post(_ path: SitePath, use handler: @escaping @Sendable (Request) async throws -> Response) -> Route {
        post(path.route, use: handler)
    }
}
