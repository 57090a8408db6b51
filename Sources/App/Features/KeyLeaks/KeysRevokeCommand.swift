import APIKeyCore
import ConsoleKit
import Fluent
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// `kagibag keys …`: operator commands for API keys.
struct KeysCommand: AsyncCommandGroup {
    let help = "Operator tools for API keys."
    let commands: [String: any AnyAsyncCommand]

    /// `input`: where `keys revoke` reads from, a piece at a time, nil at the end (standard
    /// input; tests give their own).
    init(input: @escaping @Sendable () -> [UInt8]? = KeysRevokeCommand.standardInput) {
        commands = ["revoke": KeysRevokeCommand(input: input)]
    }
}

/// `kagibag keys revoke < leaked.log`: for incident response. Reads keys on standard input, one
/// a line or anywhere in the lines of a log file, and revokes each live one as leaked, exactly
/// as a report through the public endpoint would; prints how many matched. Never prints a key.
/// Reads in 64 KiB pieces, so a log of one endless line costs no more memory than a short one.
struct KeysRevokeCommand: AsyncCommand {
    struct Signature: CommandSignature {}

    let input: @Sendable () -> [UInt8]?

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

    @Sendable static func standardInput() -> [UInt8]? {
        let data = FileHandle.standardInput.readData(ofLength: 64 * 1024)
        return data.isEmpty ? nil : Array(data)
    }

    func run(using context: CommandContext, signature: Signature) async throws {
        let summary = try await Self.revoke(
            reading: input, on: context.application.db, metrics: context.application.metrics)
        context.console.print(summary.description)
    }

    /// Revokes the keys found in `input`'s pieces, a batch at a time as they are found.
    static func revoke(reading input: () -> [UInt8]?, on db: any Database, metrics: Metrics) async throws -> Summary {
        var summary = Summary()
        var scanner = APIKeyScanner()
        var seen = Set<String>()
        var batch: [String] = []
        func revoke(_ batch: [String]) async throws {
            guard !batch.isEmpty else { return }
            let outcomes = try await KeyLeakStore.revoke(
                batch.map { .init(token: $0) }, via: .commandLine, metrics: metrics, on: db)
            summary.wellFormed += outcomes.filter(\.wellFormed).count
            summary.matched += outcomes.filter(\.live).count
            summary.revoked += outcomes.filter(\.revokedNow).count
        }
        var finished = false
        while !finished {
            let found: [String]
            if let piece = input() {
                found = scanner.feed(piece)
            } else {
                found = scanner.finish()
                finished = true
            }
            for key in found where seen.insert(key).inserted {
                batch.append(key)
                if batch.count == KeyLeakStore.batchSize {
                    try await revoke(batch)
                    batch.removeAll()
                }
            }
        }
        try await revoke(batch)
        summary.lines = scanner.lines
        summary.found = seen.count
        return summary
    }

    /// The keys in one line (`APIKeyScanner`'s rule: not inside a longer word).
    static func keys(in line: String) -> [String] {
        var scanner = APIKeyScanner()
        return scanner.feed(line.utf8) + scanner.finish()
    }
}
