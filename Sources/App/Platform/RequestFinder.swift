import Fluent
import Foundation
import Vapor

/// Finds the page of an API request by the id its answer named, for Activity's search (Teams
/// sits below the key feature, which keeps the requests; `configure` connects the two).
struct RequestFinder: Sendable {
    /// The path of the team's request answered with `requestID`, if one is kept.
    let path: @Sendable (_ requestID: String, _ team: UUID, _ db: any Database) async throws -> String?
}

extension Application {
    var requestFinder: RequestFinder {
        get { feature(RequestFinder.self) }
        set { storage[FeatureService<RequestFinder>.self] = newValue }
    }
}
