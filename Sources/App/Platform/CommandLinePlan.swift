import KagibagBuild

/// What the binary does with its arguments before anything opens a database: `--version` and
/// `help` answer at once, a mistyped command is refused with exit code 64 (EX_USAGE), and only
/// `serve` (the default) and `migrate` migrate (under PostgreSQL's advisory lock) when auto-migration is on.
/// (Before, every invocation migrated first, `--version` then crashed, and a typo in an empty
/// folder left a fresh `kagibag.sqlite` behind.)
public enum CommandLinePlan {
    /// The release's version, printed by `kagibag --version`.
    public static let version = "0.23.0"
    /// The commit a release was built from (`scripts/release`); "unknown" for a development build.
    public static let commit: String = {
        let text = String(cString: kagibag_build_commit())
        return text.isEmpty ? "unknown" : text
    }()
    public static let commands = ["serve", "migrate", "routes", "team", "keys"]

    public enum Decision: Equatable, Sendable {
        /// Run the command through Vapor; `autoMigrate`: whether `serve` may migrate first.
        case run(autoMigrate: Bool)
        /// Print `text` (to standard output for 0, standard error otherwise) and exit.
        case answer(String, exitCode: Int32)
    }

    /// `arguments`: the command line without the program's name (and without `--env`).
    public static func decide(_ arguments: [String]) -> Decision {
        var arguments = arguments[...]
        // Vapor's own global option, before the command.
        while arguments.first == "--log", arguments.count >= 2 { arguments = arguments.dropFirst(2) }
        guard let first = arguments.first else { return .run(autoMigrate: true) }
        switch first {
        case "--version", "-V", "version":
            return .answer("kagibag \(version) (commit \(commit))\n", exitCode: 0)
        case "--help", "-h", "help":
            return .answer(usage, exitCode: 0)
        case "serve", "migrate":
            // `migrate` also lets start-up migrate first: on PostgreSQL that happens under the
            // advisory lock, so it cannot race instances that are starting.
            return .run(autoMigrate: true)
        case _ where commands.contains(first):
            return .run(autoMigrate: false)
        default:
            let what = first.hasPrefix("-") ? "option" : "command"
            return .answer(
                "kagibag: unknown \(what) '\(first.prefix(60))'. Commands: \(commands.joined(separator: ", ")), version, help.\n",
                exitCode: 64)
        }
    }

    static let usage = """
        Usage: kagibag [command] [options]

        Commands:
          serve      Serve Kagibag (the default); migrates first when KAGIBAG_AUTO_MIGRATE is on
          migrate    Apply pending migrations (--yes to skip the question)
          routes     List the routes
          team       Operator tools for teams (kagibag team --help)
          keys       Operator tools for API keys (kagibag keys --help)
          version    Print the version (also --version)
          help       Print this (also --help)

        Settings come from the environment: see README.md.

        """
}
