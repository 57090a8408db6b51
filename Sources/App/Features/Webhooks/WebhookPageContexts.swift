import Vapor
import WebhookCore

/// What the webhook pages are given and what their forms send.
extension WebhooksController {
    struct FormInput: Content {
        var url: String?
        var description: String?
        var types: [String]?
        var allTypes: String?

        enum CodingKeys: String, CodingKey {
            case url, description, types
            case allTypes = "all_types"
        }
    }

    /// The form's fields as typed (again after a problem).
    struct FormValues: Encodable {
        struct Choice: Encodable {
            let value, label, summary: String
            let checked: Bool
        }

        struct Group: Encodable {
            let name: String
            let choices: [Choice]
        }

        var url = ""
        var description = ""
        var allTypes = true
        var groups: [Group]

        init(subscription: WebhookSubscription = .all, url: String = "", description: String = "") {
            self.url = url
            self.description = description
            allTypes = subscription == .all
            groups = WebhookEventType.subscribable.map { group in
                Group(
                    name: group.group,
                    choices: group.types.map {
                        Choice(
                            value: $0.rawValue, label: $0.rawValue, summary: $0.summary,
                            checked: subscription != .all && subscription.includes($0))
                    })
            }
        }

        init(_ input: FormInput) {
            let chosen = Set((input.types ?? []).compactMap(WebhookEventType.init(rawValue:)))
            self.init(
                subscription: input.allTypes == "on" ? .all : .only(chosen), url: input.url ?? "",
                description: input.description ?? "")
        }

        static let fieldIDs = ["url": "webhook-url", "description": "webhook-description", "types": "webhook-types"]
    }

    struct ListContext: Encodable {
        let page: PageContext
        let endpoints: [WebhookEndpointView]
        let hasEndpoints: Bool
        let atLimit: Bool
        let limit: Int
    }

    struct FormContext: Encodable {
        let page: PageContext
        let action: String
        let heading: String
        let submitLabel: String
        let cancelPath: String
        let form: FormValues
        let errors: FormErrors
        let atLimit: Bool
        let limit: Int
        let allowHTTP: Bool
    }

    struct EndpointContext: Encodable {
        let page: PageContext
        let endpoint: WebhookEndpointView
        let secret: ShownSecret?
        let messages: [WebhookMessageView]
        let hasMessages: Bool
        let replaySpans: [Span]
    }

    struct MessageContext: Encodable {
        let page: PageContext
        let endpoint: WebhookEndpointView
        let message: WebhookMessageView
        let payload: String
        let attempts: [WebhookAttemptView]
        let hasAttempts: Bool
    }

    struct Span: Encodable {
        let value, label: String
    }

    static let replaySpans: [(hours: Int, label: String)] = [
        (1, "the last hour"), (6, "the last 6 hours"), (24, "the last 24 hours"), (72, "the last 3 days"),
        (168, "the last 7 days"), (720, "the last 30 days"),
    ]

    struct ReplayInput: Content {
        var hours: Int?
    }

    /// After Admin › Team › Webhooks (the section's own crumbs).
    static func crumbs(_ endpoint: WebhookEndpoint?, _ last: String? = nil) -> [PageContext.Crumb] {
        var crumbs: [PageContext.Crumb] = []
        if let endpoint {
            crumbs.append(.init(endpoint.url, last == nil ? nil : SitePath.webhook(.value(endpoint.id!)).path))
        }
        if let last { crumbs.append(.init(last)) }
        return crumbs
    }

    /// The payload indented for reading (as sent: one line).
    static func pretty(_ payload: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)),
            let data = try? JSONSerialization.data(
                withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        else { return payload }
        return String(decoding: data, as: UTF8.self)
    }
}
