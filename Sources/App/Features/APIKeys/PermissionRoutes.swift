import Vapor

/// The handlers of one collection of the organizer API.
struct ResourceHandlers<
    List: AsyncResponseEncodable, Create: AsyncResponseEncodable, Show: AsyncResponseEncodable,
    Update: AsyncResponseEncodable, Delete: AsyncResponseEncodable
>: Sendable {
    let list: @Sendable (Request) async throws -> List
    let create: @Sendable (Request) async throws -> Create
    let show: @Sendable (Request) async throws -> Show
    let update: @Sendable (Request) async throws -> Update
    let delete: @Sendable (Request) async throws -> Delete
}

extension RoutesBuilder {
    /// A collection's five routes: list and create at the root; show, update and delete under
    /// `:parameter`. Reads need the key's `read` permission (or one of `readAlso`), writes its
    /// `write` permission.
    func resource<L, C, S, U, D>(
        _ parameter: String, read: Permission, readAlso: [Permission] = [], write: Permission,
        _ handlers: ResourceHandlers<L, C, S, U, D>
    ) {
        let reads = grouped(RequirePermission(read, or: readAlso))
        let writes = grouped(RequirePermission(write))
        let item: PathComponent = .parameter(parameter)
        reads.get(use: handlers.list)
        writes.post(use: handlers.create)
        reads.get(item, use: handlers.show)
        writes.patch(item, use: handlers.update)
        writes.delete(item, use: handlers.delete)
    }
}

/// Lets a request through only if the key may use `permission` now — or one of `alternatives`
/// (reading attendees with `attendees:check_in` instead of `attendees:read`): the key's own
/// choice within its team's current permissions. The 403 names `permission` and says which of
/// the two lacks it.
struct RequirePermission: AsyncMiddleware {
    let permission: Permission
    let alternatives: [Permission]

    init(_ permission: Permission, or alternatives: [Permission] = []) {
        self.permission = permission
        self.alternatives = alternatives
    }

    func respond(to request: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let state = try request.requireAPIKey().state()
        guard let used = ([permission] + alternatives).first(where: { state.lacks($0) == nil }) else {
            request.application.metrics.auth(.forbidden)
            throw BearerChallenge.insufficient(permission, teamHolds: state.lacks(permission) == .byKey)
        }
        request.keyState.permissionUsed = used
        return try await next.respond(to: request)
    }
}
