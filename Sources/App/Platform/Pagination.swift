import Foundation
import Vapor

/// Cursor paging by id. Ids are time-ordered UUIDv7 and never change, so paging while rows are
/// added or edited neither repeats nor skips a row; new rows appear on later pages.
struct PageRequest {
    static let defaultLimit = 25
    static let maximumLimit = 100

    let limit: Int
    let after: UUID?

    init(limit: Int = PageRequest.defaultLimit, after: UUID? = nil) {
        self.limit = limit
        self.after = after
    }

    init(from req: Request) throws {
        // Each `query.get` parses the whole query string again; most requests have none.
        guard req.url.query?.isEmpty == false else {
            self.init()
            return
        }
        var limit = Self.defaultLimit
        if let text = try? req.query.get(String.self, at: "limit") {
            guard let value = Int(text), (1...Self.maximumLimit).contains(value) else {
                throw APIError.badRequest(
                    "limit must be a whole number from 1 to \(Self.maximumLimit).", field: "limit")
            }
            limit = value
        }
        var after: UUID?
        if let cursor = try? req.query.get(String.self, at: "cursor") {
            guard let id = Self.decode(cursor) else {
                throw APIError.badRequest(
                    "cursor is not one this API issued; use next_cursor from a previous page.", field: "cursor")
            }
            after = id
        }
        self.init(limit: limit, after: after)
    }

    static func encode(_ id: UUID) -> String {
        Data(("v1:" + id.uuidString.lowercased()).utf8).base64URLEncodedString()
    }

    static func decode(_ cursor: String) -> UUID? {
        guard cursor.count <= 100 else { return nil }
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8),
            text.hasPrefix("v1:")
        else {
            return nil
        }
        return UUID(uuidString: String(text.dropFirst(3)))
    }

    /// Builds the page from `limit + 1` fetched rows.
    func page<Row, Item: Sendable>(_ rows: [Row], id: (Row) -> UUID, map: (Row) -> Item) -> Page<Item> {
        let visible = Array(rows.prefix(limit))
        let next = rows.count > limit ? visible.last.map { Self.encode(id($0)) } : nil
        return Page(data: visible.map(map), nextCursor: next)
    }
}

extension Request {
    /// An optional RFC 3339 query parameter; a malformed one is a 400 naming it.
    func dateQuery(_ name: String) throws -> Date? {
        guard let text = try? query.get(String.self, at: name) else { return nil }
        guard let date = RFC3339.parse(text) else {
            throw APIError.badRequest("\(name) must be \(RFC3339.hint).", field: name)
        }
        return date
    }
}

/// A page of a list: `next_cursor` is null on the last page.
struct Page<Item: Sendable>: Sendable {
    let data: [Item]
    let nextCursor: String?

    enum CodingKeys: String, CodingKey {
        case data
        case nextCursor = "next_cursor"
    }
}

extension Page: Encodable where Item: Encodable {
    /// Always writes `next_cursor`, as null on the last page.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(data, forKey: .data)
        try container.encode(nextCursor, forKey: .nextCursor)
    }
}

extension Page: Decodable where Item: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        data = try container.decode([Item].self, forKey: .data)
        nextCursor = try container.decodeIfPresent(String.self, forKey: .nextCursor)
    }
}

extension Page: RequestDecodable, ResponseEncodable, AsyncRequestDecodable, AsyncResponseEncodable, Content
where Item: Content {}
