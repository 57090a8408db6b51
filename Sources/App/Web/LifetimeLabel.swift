/// A key lifetime in days as every page names it ("90 days", "1 year", "No expiration"), so the
/// Team page's maximum and the key form's choices read the same.
enum LifetimeLabel {
    static func of(days: Int) -> String {
        switch days {
        case 0: "No expiration"
        case 365: "1 year"
        default: "\(days) days"
        }
    }
}
