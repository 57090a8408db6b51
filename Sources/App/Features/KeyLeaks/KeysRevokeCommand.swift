import ConsoleKit
import Fluent
import NIOConcurrencyHelpers
import Vapor

/// `kagibag keys …`: operator commands for API keys.
struct KeysCommand: AsyncCommandGroup {
    let help = "Operator tools for API keys."
    let commands: [String: any AnyAsyncCommand]

    /// `input`: where `keys revoke` reads its lines (standard input; tests give their own).
    init(input: @escaping @Sendable () -> String? = { Swift.readLine(strippingNewline: true) }) {
        commands = ["revoke": KeysRevokeCommand(input: input)]
    }
}

/// `kagibag keys revoke < leaked.log`: for incident response. Reads keys on standard input, one
/// a line or anywhere in the lines of a log file, and revokes each live one as leaked, exactly
/// as a report through the public endpoint would; prints how many matched. Never prints a key.
struct KeysRevokeCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    let input: @Sendable () -> String?

    var help: String {
        "Reads API keys on standard input (one a line, or anywhere in a log file's lines), revokes every one that matches a key as leaked, and prints how many matched."
    }

    struct Summary: CustomStringConvertible, Equatable {
        var lines = 0, found = 0, wellFormed = 0, matched = 0, revoked = 0

        var description: String {
            "Read \(lines) line\(lines == 1 ? "" : "s"): \(found) distinct key\(found == 1 ? "" : "s") found, \(wellFormed) well-formed; "
                + "\(matched) matched a key of this server, \(revoked) of them revoked now"
                + (matched > revoked ? " (\(matched - revoked) already revoked)." : ".")
        }
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let summary = try await Self.revoke(reading: input, on: context.application.db, metrics: context.application.metrics)
        context.console.print(summary.description)
    }

    static func revoke(reading input: () -> String?, on db: any Database, metrics: Metrics) async throws -> Summary {
        var summary = Summary()
        var seen = Set<String>()
        var candidates: [String] = []
        while let line = input() {
            summary.lines += 1
            for key in keys(in: line) where seen.insert(key).inserted { candidates.append(key) }
        }
        summary.found = candidates.count
        for start in stride(from: 0, to: candidates.count, by: KeyLeakStore.batchSize) {
            let batch = candidates[start..<min(start + KeyLeakStore.batchSize, candidates.count)]
            let outcomes = try await KeyLeakStore.revoke(batch.map { .init(token: $0) }, via: .commandLine, metrics: metrics, on: db)
            summary.wellFormed += outcomes.filter(\.wellFormed).count
            summary.matched += outcomes.filter(\.live).count
            summary.revoked += outcomes.filter(\.revokedNow).count
        }
        return summary
    }

    /// Every `kgb_` followed by 46 base62 characters in `line` that is not part of a longer word.
    static func keys(in line: String) -> [String] {
        let bytes = Array(line.utf8)
        let prefix = Array("kgb_".utf8)
        func isBase62(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        }
        var found: [String] = []
        var index = 0
        while index + 50 <= bytes.count {
            let end = index + 50
            if bytes[index..<index + 4].elementsEqual(prefix), index == 0 || !(isBase62(bytes[index - 1]) || bytes[index - 1] == UInt8(ascii: "_")),
                bytes[index + 4..<end].allSatisfy(isBase62), end == bytes.count || !isBase62(bytes[end])
            {
                found.append(String(decoding: bytes[index..<end], as: UTF8.self))
                index = end
            } else {
                index += 1
            }
        }
        return found
    }
}
