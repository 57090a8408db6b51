/// How long something took, as pages show it and as rows keep it (milliseconds).
enum Latency {
    /// "0.8 ms", "12 ms", "1,204 ms".
    static func text(_ milliseconds: Double) -> String {
        milliseconds < 10
            ? milliseconds.formatted(.number.precision(.fractionLength(1))) + " ms"
            : Int(milliseconds.rounded()).formatted() + " ms"
    }
}

extension Duration {
    var milliseconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }
}
