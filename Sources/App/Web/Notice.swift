import Vapor

/// A one-time message for the next page ("Added Ada as Member."). Never holds a secret:
/// it is stored in the session, and so in the database.
enum Notice {
    private static let key = "notice"

    static func set(_ message: String, on request: Request) {
        request.session.data[key] = message
    }

    static func take(from request: Request) -> String? {
        guard request.hasSession, let message = request.session.data[key] else { return nil }
        request.session.data[key] = nil
        return message
    }
}
