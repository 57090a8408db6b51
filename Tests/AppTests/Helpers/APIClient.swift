import Foundation
import Testing
import VaporTesting

@testable import App

extension Application {
    /// Sends an API request the way an integration would.
    func api(
        _ path: String, method: HTTPMethod = .GET, key: String?, authorization: [String]? = nil
    ) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: .accept, value: "application/json")
        if let authorization {
            for value in authorization { headers.add(name: .authorization, value: value) }
        } else if let key {
            headers.add(name: .authorization, value: "Bearer \(key)")
        }
        return try await testing().sendRequest(method, path, headers: headers)
    }
}

extension Application {
    /// Sends a JSON body (a dictionary, or raw text) with an API key.
    func api(
        _ path: String, method: HTTPMethod, key: String, json: [String: Any?]? = nil, raw: String? = nil,
        headers extra: [(String, String)] = []
    ) async throws -> TestingHTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: .accept, value: "application/json")
        headers.add(name: .authorization, value: "Bearer \(key)")
        headers.contentType = .json
        for (name, value) in extra { headers.replaceOrAdd(name: name, value: value) }
        var body: ByteBuffer?
        if let raw {
            body = ByteBuffer(string: raw)
        } else if let json {
            let object = json.mapValues { $0 ?? NSNull() }
            body = ByteBuffer(data: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
        }
        return try await testing().sendRequest(method, path, headers: headers, body: body)
    }
}

extension TestingHTTPResponse {
    var text: String { String(buffer: body) }
    /// The body without its `request_id` (each request's own): two answers that must not be told
    /// apart, say a hidden event's and a missing one's, are then the same text.
    var answer: String { text.replacing(/"request_id":"[^"]*",/, with: "") }
    var challenge: String { headers.first(name: "WWW-Authenticate") ?? "" }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
