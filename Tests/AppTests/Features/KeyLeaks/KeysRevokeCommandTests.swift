import APIKeyCore
import Fluent
import NIOConcurrencyHelpers
import Testing
import VaporTesting

@testable import App

@Suite("kagibag keys revoke")
struct KeysRevokeCommandTests {
    @Test("reads keys from a leaked log file, revokes the live ones and says how many matched, never printing a key")
    func revokesFromLog() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount())
            let first = try await admin.createKey(named: "CRM sync")
            let second = try await admin.createKey(named: "Export")
            let unknown = APIKeyToken.generate().plaintext
            let typo = String(first.dropLast()) + (first.last == "A" ? "B" : "A")
            let log = [
                first,
                "2026-04-07 14:02 INFO calling https://kagibag.example with Authorization: Bearer \(second) ok",
                "  \(first)  ",
                "unknown=\(unknown);typo=\(typo)",
                "x\(second)",  // inside a longer word: not a key
                "",
            ]
            let lines = NIOLockedValueBox(log[...])
            let summary = try await KeysRevokeCommand.revoke(
                reading: { lines.withLockedValue { $0.popFirst().map { Array(($0 + "\n").utf8) } } }, on: app.db,
                metrics: app.metrics)
            #expect(summary == .init(lines: 6, found: 4, wellFormed: 3, matched: 2, revoked: 2))
            #expect(
                summary.description
                    == "Read 6 lines: 4 distinct keys found, 3 well-formed; 2 matched a key of this server, 2 of them revoked now."
            )
            for key in [first, second] {
                #expect(try await app.api("/api/v1/organizer/events", key: key).status == .unauthorized)
            }
            let actors = try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.revoked_as_leaked").all()
                .map(\.actor)
            #expect(actors == ["command line", "command line"])

            // Through the command line itself, with its own input: nothing new to revoke.
            let again = NIOLockedValueBox([first][...])
            app.asyncCommands.use(
                KeysCommand(input: { again.withLockedValue { $0.popFirst().map { Array($0.utf8) } } }), as: "keys")
            try await app.runCommand(["keys", "revoke"])
            #expect(
                try await AuditEvent.query(on: app.db).filter(\.$action == "api_key.revoked_as_leaked").count() == 2)
        }
    }

    @Test("finds keys anywhere in a line, but not inside longer words")
    func findsKeys() {
        let key = APIKeyToken.generate().plaintext
        #expect(KeysRevokeCommand.keys(in: key) == [key])
        #expect(KeysRevokeCommand.keys(in: "Bearer \(key), then \(key)") == [key, key])
        #expect(KeysRevokeCommand.keys(in: "\"token\":\"\(key)\"") == [key])
        #expect(KeysRevokeCommand.keys(in: "_\(key)").isEmpty)
        #expect(KeysRevokeCommand.keys(in: "a\(key)").isEmpty)
        #expect(KeysRevokeCommand.keys(in: "\(key)0").isEmpty)
        #expect(KeysRevokeCommand.keys(in: "kgb_" + String(repeating: "é", count: 46)).isEmpty)
        #expect(KeysRevokeCommand.keys(in: "").isEmpty)
    }
}
