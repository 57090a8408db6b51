import Foundation
import Vapor

/// One of a key's recent requests as `GET /api/v1/organizer/key/requests` returns it.
struct KeyRequestDTO: Content {
    struct Problem: Content {
        let title, detail: String
    }
    let id: String
    let at: Date
    let method, route, path: String
    let status: Int
    let latencyMs: Double
    let clientAddress: String
    let userAgent: Nullable<String>
    let requestID: String
    /// For a refusal (4xx, 5xx): what its client was told.
    let problem: Nullable<Problem>

    enum CodingKeys: String, CodingKey {
        case id, at, method, route, path, status, problem
        case latencyMs = "latency_ms", clientAddress = "client_address", userAgent = "user_agent"
        case requestID = "request_id"
    }

    init(_ entry: RequestLog.Entry) {
        id = entry.id.lowercasedString
        at = entry.at
        (method, route, path, status) = (entry.method, entry.route, entry.path, entry.status)
        latencyMs = (entry.latencyMilliseconds * 1000).rounded() / 1000
        clientAddress = entry.address
        userAgent = Nullable(entry.userAgent)
        requestID = entry.requestID
        problem = Nullable(entry.problemTitle.map { Problem(title: $0, detail: entry.problemDetail ?? "") })
    }
}

/// The key's recent requests, newest first.
struct KeyRequestsDTO: Content {
    let data: [KeyRequestDTO]
    /// False when the server keeps no requests (`KAGIBAG_REQUEST_LOG=off`).
    let recorded: Bool
}
