import Foundation
import NIOHTTP1

/// A key's recent request as its pages show it.
struct KeyRequestView: Encodable {
    let id: String
    let path: String
    let at: TimeView
    let method: String
    let route: String
    let requestPath: String
    let status: Int
    /// "204 No Content", "422 Unprocessable Entity".
    let statusText: String
    let statusClass: String
    let failed: Bool
    let latency: String
    let address: String
    let userAgent: String?
    let requestID: String
    let problemTitle: String?
    let problemDetail: String?

    init(_ entry: RequestLog.Entry, now: Date = Date()) {
        id = entry.id.lowercasedString
        path = SitePath.apiKeyRequest(key: .value(entry.key), request: .value(entry.id)).path
        at = TimeView(entry.at, now: now)
        method = entry.method
        route = entry.route
        requestPath = entry.path
        status = entry.status
        statusText = "\(entry.status) " + HTTPResponseStatus(statusCode: entry.status).reasonPhrase
        statusClass = entry.status >= 500 ? "danger-text" : entry.status >= 400 ? "warning-text" : ""
        failed = entry.failed
        latency = Latency.text(entry.latencyMilliseconds)
        address = entry.address
        userAgent = entry.userAgent
        requestID = entry.requestID
        problemTitle = entry.problemTitle
        problemDetail = entry.problemDetail
    }

    /// "0.8 ms", "12 ms", "1,204 ms".
}

/// The choices of the requests page's status filter.
struct StatusChoice: Encodable {
    let value: String
    let label: String
    let selected: Bool

    static func all(selected: RequestLog.StatusFilter?) -> [StatusChoice] {
        let choices: [(String, String)] = [
            ("", "Any status"), ("failures", "Failures only (4xx and 5xx)"), ("2xx", "2xx succeeded"),
            ("4xx", "4xx refused"), ("5xx", "5xx server errors"), ("401", "401 not authenticated"),
            ("403", "403 not allowed"), ("404", "404 not found"), ("409", "409 conflict"),
            ("422", "422 invalid"), ("429", "429 rate limited"),
        ]
        var result = choices.map { StatusChoice(value: $0.0, label: $0.1, selected: $0.0 == (selected?.text ?? "")) }
        // A status typed into the address bar that the list does not offer is still shown as chosen.
        if let selected, !choices.contains(where: { $0.0 == selected.text }) {
            result.append(StatusChoice(value: selected.text, label: selected.text, selected: true))
        }
        return result
    }
}
