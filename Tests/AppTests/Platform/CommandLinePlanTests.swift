import Testing

@testable import App

@Suite("What the binary does with its arguments before any database is opened")
struct CommandLinePlanTests {
    @Test("--version and help answer at once with exit code 0")
    func versionAndHelp() {
        for arguments in [["--version"], ["-V"], ["version"]] {
            #expect(
                CommandLinePlan.decide(arguments)
                    == .answer("kagibag \(CommandLinePlan.version) (commit unknown)\n", exitCode: 0))
        }
        for arguments in [["--help"], ["-h"], ["help"]] {
            guard case .answer(let text, 0) = CommandLinePlan.decide(arguments) else {
                Issue.record("\(arguments) did not answer with exit code 0")
                continue
            }
            #expect(text.contains("Usage: kagibag") && text.contains("migrate"))
        }
    }

    @Test("a mistyped command or option is refused with exit code 64, naming the commands")
    func unknown() {
        #expect(
            CommandLinePlan.decide(["frobnicate"])
                == .answer(
                    "kagibag: unknown command 'frobnicate'. Commands: serve, migrate, routes, team, keys, version, help.\n",
                    exitCode: 64))
        guard case .answer(let text, 64) = CommandLinePlan.decide(["--port", "8080"]) else {
            Issue.record("an option without a command was not refused")
            return
        }
        #expect(text.hasPrefix("kagibag: unknown option '--port'"))
    }

    @Test("only serve (also when no command is given) and migrate migrate; operator commands never")
    func onlyServeMigrates() {
        #expect(CommandLinePlan.decide([]) == .run(autoMigrate: true))
        #expect(CommandLinePlan.decide(["serve", "--port", "9000"]) == .run(autoMigrate: true))
        #expect(CommandLinePlan.decide(["migrate", "--yes"]) == .run(autoMigrate: true))
        #expect(CommandLinePlan.decide(["--log", "debug", "serve"]) == .run(autoMigrate: true))
        for command in ["routes", "team", "keys"] {
            #expect(CommandLinePlan.decide([command]) == .run(autoMigrate: false))
        }
    }
}
