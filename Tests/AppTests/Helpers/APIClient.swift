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

extension TestingHTTPResponse {
    var text: String { String(buffer: body) }
    var challenge: String { headers.first(name: "WWW-Authenticate") ?? "" }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
