import LeafKit
import Vapor

/// The HTML page for an error on a web route, in the site's layout when it can be rendered.
enum ErrorPage {
    private struct Context: Encodable {
        let page: PageContext
        let status: UInt
        let title: String
        let message: String
        /// The id this answer's `Request-Id` names, for someone reporting the problem to quote.
        let requestID: String?
    }

    static func render(status: HTTPResponseStatus, message: String, headers: HTTPHeaders, for request: Request) async
        -> Response
    {
        let message = message.isEmpty ? defaultMessage(for: status) : message
        var response: Response
        do {
            let context = Context(
                page: PageContext(request, title: status.reasonPhrase), status: status.code, title: status.reasonPhrase,
                message: message, requestID: RequestIDMiddleware.current)
            response = try await request.renderPage("error", context, status: status)
        } catch {
            let title = "\(status.code) \(status.reasonPhrase)".htmlEscaped()
            response = Response(
                status: status,
                body: .init(
                    string:
                        "<!doctype html><title>\(status.code)</title><h1>\(title)</h1><p>\(message.htmlEscaped())</p>"))
            response.headers.contentType = .html
        }
        for (name, value) in headers where name.lowercased() != "content-type" {
            response.headers.replaceOrAdd(name: name, value: value)
        }
        return response
    }

    private static func defaultMessage(for status: HTTPResponseStatus) -> String {
        switch status {
        case .notFound: "There is nothing at this address."
        case .forbidden: "You are not allowed to do that."
        case .payloadTooLarge: "That request is too large."
        default: "The request could not be handled."
        }
    }
}
