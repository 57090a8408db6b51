import Vapor

extension Request {
    /// Who makes this request's changes, for the team's Activity: its API key (name and last
    /// four), else the signed-in person; with the client address and the request id.
    func auditActor() throws -> AuditActor {
        if let key = keyState.key {
            return .key(
                id: key.id, name: key.name, lastFour: key.lastFour, address: clientAddress, requestID: requestID)
        }
        return .person(try requireUser().user, address: clientAddress, requestID: requestID)
    }
}
