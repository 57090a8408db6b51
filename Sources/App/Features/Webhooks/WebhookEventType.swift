/// What a webhook message tells: one JSON payload each, `{"type", "timestamp", "data"}`.
enum WebhookEventType: String, CaseIterable, Sendable, Codable {
    case eventCreated = "event.created"
    case eventUpdated = "event.updated"
    case eventDeleted = "event.deleted"
    case attendeeRegistered = "attendee.registered"
    case attendeeUpdated = "attendee.updated"
    case attendeeCancelled = "attendee.cancelled"
    case attendeeCheckedIn = "attendee.checked_in"
    case attendeeDeleted = "attendee.deleted"
    case apiKeyCreated = "api_key.created"
    case apiKeyRolled = "api_key.rolled"
    case apiKeyPaused = "api_key.paused"
    case apiKeyResumed = "api_key.resumed"
    case apiKeyDeleted = "api_key.deleted"
    case apiKeyExpiring = "api_key.expiring"
    case apiKeyExpired = "api_key.expired"
    case apiKeyLeaked = "api_key.leaked"
    /// Sent by "Send test event" only, whatever the endpoint subscribed to.
    case test = "webhook.test"

    /// What an endpoint can subscribe to, grouped as the form shows them.
    static let subscribable: [(group: String, types: [WebhookEventType])] = [
        ("Events", [.eventCreated, .eventUpdated, .eventDeleted]),
        (
            "Attendees",
            [.attendeeRegistered, .attendeeUpdated, .attendeeCancelled, .attendeeCheckedIn, .attendeeDeleted]
        ),
        (
            "API keys",
            [
                .apiKeyCreated, .apiKeyRolled, .apiKeyPaused, .apiKeyResumed, .apiKeyDeleted, .apiKeyExpiring,
                .apiKeyExpired, .apiKeyLeaked,
            ]
        ),
    ]

    var summary: String {
        switch self {
        case .eventCreated: "An event was created"
        case .eventUpdated: "An event was changed"
        case .eventDeleted: "An event was deleted (its id)"
        case .attendeeRegistered: "An attendee registered"
        case .attendeeUpdated: "An attendee’s details changed"
        case .attendeeCancelled: "A registration was cancelled"
        case .attendeeCheckedIn: "An attendee was checked in"
        case .attendeeDeleted: "An attendee was deleted (its id and its event’s)"
        case .apiKeyCreated: "An API key was created (never its secret)"
        case .apiKeyRolled: "An API key got a new secret"
        case .apiKeyPaused: "An API key was paused"
        case .apiKeyResumed: "An API key was resumed"
        case .apiKeyDeleted: "An API key was deleted"
        case .apiKeyExpiring: "An API key expires within 7 days (once per expiry)"
        case .apiKeyExpired: "An API key expired"
        case .apiKeyLeaked: "An API key was revoked: reported as leaked"
        case .test: "A test sent from the endpoint’s page"
        }
    }
}

/// The types an endpoint wants: all of them (now and those added later), or a list.
enum WebhookSubscription: Sendable, Equatable {
    case all
    case only(Set<WebhookEventType>)

    /// As stored: `*`, or the types separated by commas.
    var stored: String {
        switch self {
        case .all: "*"
        case .only(let types): types.map(\.rawValue).sorted().joined(separator: ",")
        }
    }

    init(stored: String) {
        if stored == "*" {
            self = .all
        } else {
            self = .only(Set(stored.split(separator: ",").compactMap { WebhookEventType(rawValue: String($0)) }))
        }
    }

    func includes(_ type: WebhookEventType) -> Bool {
        switch self {
        case .all: true
        case .only(let types): types.contains(type)
        }
    }

    /// "All events", or the types named.
    var label: String {
        switch self {
        case .all: "All event types"
        case .only(let types):
            WebhookEventType.allCases.filter(types.contains).map(\.rawValue).joined(separator: ", ")
        }
    }
}
