/// "1 request", "2 requests": counts in words, for the pages.
enum Plural {
    static func count(_ n: Int, _ one: String, _ many: String? = nil) -> String {
        "\(n) \(n == 1 ? one : many ?? one + "s")"
    }
}
