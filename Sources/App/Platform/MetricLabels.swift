/// The fixed label values of Kagibag's metrics: names a dashboard can rely on, never anything a
/// client chose.
extension Metrics {
    enum AuthOutcome: String, CaseIterable {
        case accepted, missing, malformed, unknown, revoked, forbidden
        case expired, paused, fenced
        /// An event-scoped key outside the time around its events.
        case outsideWindow = "outside_window"
        /// The key was revoked because it was reported as leaked.
        case leaked
        case rateLimited = "rate_limited"
        /// Refused before any lookup: the client address had too many failed checks.
        case addressLimited = "address_limited"
    }

    enum QueryKind: String { case read, write }

    /// How a credential was reported as leaked (also stored with the revocation).
    enum LeakChannel: String, CaseIterable, Sendable {
        case publicEndpoint = "public"
        case github
        case commandLine = "command_line"
    }

    /// How far a reported credential got: received; well-formed (format and checksum); live (a
    /// secret of an existing key that had not ended); revoked (its key revoked by this report).
    enum LeakStage: String, CaseIterable {
        case received
        case wellFormed = "well_formed"
        case live, revoked
    }

    /// What an instance said to the budget store: took a slice, gave unspent requests back, or
    /// got no answer (and admitted a slice on its own for a second).
    enum BudgetStatement: String, CaseIterable {
        case lease
        case giveBack = "give_back"
        case failed
    }

    /// Why a whole leak report was refused before any credential in it was looked at.
    enum LeakRefusal: String {
        case rateLimited = "rate_limited"
        case tooLarge = "too_large"
        case malformed, unsigned
        case unknownKey = "unknown_key"
        case badSignature = "bad_signature"
    }

    /// What identifies a request's series; the route object stands for its template.
    struct RequestKey: Hashable {
        let route: ObjectIdentifier?
        let method: String
        let status: UInt
    }
}
