/// The fixed paths the templates link to, on every page as `page.paths`: no template spells a
/// path (a test reads them all), so renaming a route cannot leave a dead link.
struct SitePaths: Encodable, Sendable {
    static let shared = SitePaths()

    let home = SitePath.home.path, signup = SitePath.signup.path, login = SitePath.login.path,
        logout = SitePath.logout.path
    let switchTeam = SitePath.switchTeam.path
    let admin = SitePath.admin.path, team = SitePath.team.path, teamMembers = SitePath.teamMembers.path
    let teamLeave = SitePath.teamLeave.path, teamDelete = SitePath.teamDelete.path, activity = SitePath.activity.path,
        activityExport = SitePath.activityExport.path
    let teamKeyPolicy = SitePath.teamKeyPolicy.path, teamNextStepsDismiss = SitePath.teamNextStepsDismiss.path
    let teamRequestBudget = SitePath.teamRequestBudget.path
    let apiKeys = SitePath.apiKeys.path, apiKeysNew = SitePath.apiKeysNew.path
    let webhooks = SitePath.webhooks.path, webhooksNew = SitePath.webhooksNew.path
    let events = SitePath.events.path, eventsNew = SitePath.eventsNew.path
    let apiReference = SitePath.apiReference.path, openAPIDocument = SitePath.openAPIDocument.path
    let stylesheet = SitePath.stylesheet.path, script = SitePath.script.path
}
