/// When a message that was not delivered is tried again: at once, then after 5 seconds, 5
/// minutes, 30 minutes, 2 hours, 5 hours and every 10 hours after that, about 3 days in all
/// (the schedule Svix and the Standard Webhooks guidance describe). Each wait is moved by up to
/// a tenth either way, so that the retries of many messages failing together spread out.
public enum RetrySchedule {
    /// Waits after the 1st, 2nd … failed attempt (seconds); after the last, the message failed.
    public static let waits: [Double] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000, 36_000, 36_000, 36_000, 36_000]

    /// How many attempts a message gets in all.
    public static var attempts: Int { waits.count + 1 }

    /// The wait after `failedAttempts` attempts failed (1 for the first), with jitter drawn from
    /// `random` in 0..<1; nil when the message has had all its attempts.
    public static func wait(afterFailedAttempts failedAttempts: Int, random: Double) -> Double? {
        guard failedAttempts >= 1, failedAttempts <= waits.count else { return nil }
        let base = waits[failedAttempts - 1]
        return base * (0.9 + 0.2 * min(max(random, 0), 1))
    }

    /// The whole span from the first attempt to the last, without jitter (about 3 days).
    public static var span: Double { waits.reduce(0, +) }
}
