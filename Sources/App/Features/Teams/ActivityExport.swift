import Fluent
import Vapor

/// Admin → Team → Activity → Export: the filtered entries as CSV, newest first, streamed a page at
/// a time so that a team with a million entries costs the server one page of memory.
extension ActivityController {
    static let exportPageSize = 500
    static let csvHeader =
        "time,actor,key_last_four,client_address,request_id,action,summary,event_id,changes\r\n"

    @Sendable func export(req: Request) async throws -> Response {
        let current = try req.requireTeam()
        guard current.role == .admin else {
            throw Abort(.forbidden, reason: "Only team admins can export the team's activity.")
        }
        let filter = ActivityFilter(req)
        let team = current.team.id!
        let db = req.db
        let response = Response(
            status: .ok,
            body: .init(managedAsyncStream: { writer in
                try await writer.writeBuffer(ByteBuffer(string: Self.csvHeader))
                var before: UUID?
                while true {
                    let rows = try await Self.page(
                        team: team, filter: filter, before: before, limit: Self.exportPageSize, on: db)
                    try await writer.writeBuffer(ByteBuffer(string: rows.map(Self.csvLine).joined()))
                    guard rows.count == Self.exportPageSize, let last = rows.last?.id else { break }
                    before = last
                }
            }))
        let day = ActivityFilter.dayText(Date())
        response.headers.contentType = HTTPMediaType(type: "text", subType: "csv", parameters: ["charset": "utf-8"])
        response.headers.replaceOrAdd(
            name: .contentDisposition, value: "attachment; filename=\"activity-\(current.team.slug)-\(day).csv\"")
        response.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return response
    }

    static func csvLine(_ row: AuditEvent) -> String {
        let changes =
            row.changeList.map { "\($0.field): \($0.from ?? "none") → \($0.to ?? "none")" }.joined(separator: "; ")
        let fields = [
            row.createdAt.map(RFC3339.format) ?? "", row.actor, row.keyLastFour ?? "", row.clientAddress ?? "",
            row.requestID ?? "", row.action, row.summary, row.eventID?.lowercasedString ?? "", changes,
        ]
        return fields.map(csvField).joined(separator: ",") + "\r\n"
    }

    /// RFC 4180 quoting, and no cell a spreadsheet would run as a formula: names and summaries
    /// come from users ("=HYPERLINK(…)"), so such a cell starts with an apostrophe.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@\t\r".contains(first) { text = "'" + text }
        guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
