import Foundation
import Vapor

/// The three route groups. Which group a route is in decides how its errors look (problem
/// details or a page) and whether cookies mean anything to it; no middleware looks at paths.
func routes(_ app: Application) throws {
    let settings = app.services.settings

    // Operator routes: no sessions, no keys.
    app.get("healthz", use: Health.check)
    app.get("livez", use: Health.alive)
    app.get("metrics", use: MetricsEndpoint(token: settings.metricsToken).handle)

    // The API: JSON in and out, problem details, bearer keys, no cookies.
    let api = app.grouped(AudienceMiddleware(.api))
    api.grouped("api").notFoundForUnknownPaths()
    // The API's contract is public: integrators read it before they have a key.
    let openAPI = try StaticFile(path: app.directory.resourcesDirectory + "openapi.json", type: .json)
    api.get(SitePath.openAPIDocument.route) { req -> Response in
        openAPI.response(for: req, cacheControl: "public, max-age=300")
    }
    let strictQuery = try StrictQueryMiddleware(
        openAPIDocument: try Data(contentsOf: URL(fileURLWithPath: app.directory.resourcesDirectory + "openapi.json")))
    let keyed = api.grouped(
        MiddlewareChain(NoStoreMiddleware(), APIKeyAuthenticator(), strictQuery, JSONBodyMiddleware()))
    try keyed.grouped(SitePath.apiOrganizer.route).register(collection: KeyInfoController())
    try keyed.grouped(SitePath.apiEvents.route).register(collection: EventsAPIController())
    try keyed.grouped(SitePath.apiAttendees(event: .parameter).route).register(collection: AttendeesAPIController())
    try keyed.grouped(SitePath.apiCheckIns(event: .parameter).route).register(collection: CheckInsAPIController())
    // Leak reports carry no key of their own: anyone (or GitHub, signed) may send one.
    let leakReports = api.grouped(SitePath.apiV1.route).grouped(NoStoreMiddleware())
    try leakReports.register(collection: CredentialRevocationController())
    try leakReports.register(collection: GitHubSecretScanningController())

    // Web pages: sessions, CSRF protection, the signed-in user.
    let web = app.webPages(sessions: app.sessions.middleware, currentUser: CurrentUserMiddleware())
    web.notFoundForUnknownPaths()
    try web.register(collection: AccountController())
    try web.register(collection: APIReferenceController(document: openAPI))
    try web.register(collection: JoinController())
    let signedIn = web.grouped(
        MiddlewareChain(RequireLoginMiddleware(), KeyExpiryBanner(), LeakNoticeBanner(), WebhookPausedBanner()))
    try signedIn.register(collection: TeamController())
    try signedIn.register(collection: TeamExitController())
    try signedIn.register(collection: InvitationController())
    try signedIn.register(collection: APIKeysController(maxKeysPerTeam: settings.maxKeysPerTeam))
    try signedIn.register(collection: APIKeyLifecycleController())
    try signedIn.register(collection: KeyRestrictionController())
    try signedIn.register(collection: KeyRequestsController())
    try signedIn.register(collection: KeySearchController())
    try signedIn.register(collection: KeyExpiryNoticeController())
    try signedIn.register(collection: LeakNoticeController())
    try signedIn.register(collection: EventsController())
    try signedIn.register(collection: ActivityController())
    try signedIn.register(collection: WebhooksController())
}
