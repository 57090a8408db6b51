import Vapor

/// The "Next steps" card a new admin sees on the Team page after signing up (invite a
/// teammate, create an API key, read the API reference), until they dismiss it. It lives in
/// the session: a later login starts without it.
enum NextSteps {
    private static let key = "next-steps"

    static func offer(on req: Request) {
        req.session.data[key] = "1"
    }

    static func isOffered(on req: Request) -> Bool {
        req.hasSession && req.session.data[key] != nil
    }

    static func dismiss(on req: Request) {
        req.session.data[key] = nil
    }
}
