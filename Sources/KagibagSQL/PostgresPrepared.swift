import NIOConcurrencyHelpers
import PostgresNIO

/// The text and bind types of each `FixedPlan` statement, by the type that names it, taken from
/// its first run. PostgresNIO prepares a `PostgresPreparedStatement` on each connection at its
/// first use there and keeps it under its name; the text is known only once the statement has
/// been serialised, so it is recorded here and every later run is checked against it.
enum PreparedTexts {
    struct Entry: Sendable, Equatable {
        let sql: String
        let types: [PostgresDataType]
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var owners: [String: ObjectIdentifier] = [:]
    }

    private static let state = NIOLockedValueBox(State())

    /// Whether `sql` with binds of `types` is the statement `name` stands for (recording it at
    /// its first run). No: a run whose text or bind types differ from the first (then it runs
    /// unprepared), or a name another type has taken (two statements must never share one).
    static func matches(_ name: any PreparedStatementName.Type, sql: String, types: [PostgresDataType]) -> Bool {
        let id = ObjectIdentifier(name)
        return state.withLockedValue { state in
            if let entry = state.entries[id] { return entry.sql == sql && entry.types == types }
            let owner = state.owners[name.preparedName, default: id]
            guard owner == id else { return false }
            state.owners[name.preparedName] = id
            state.entries[id] = Entry(sql: sql, types: types)
            return true
        }
    }

    static func entry(_ name: any PreparedStatementName.Type) -> Entry {
        state.withLockedValue { $0.entries[ObjectIdentifier(name)]! }
    }
}

/// One run of the statement `Name` names, with its binds; rows are handed on as they come.
struct PreparedRun<Name: PreparedStatementName>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var name: String { Name.preparedName }
    static var sql: String { PreparedTexts.entry(Name.self).sql }
    static var bindingDataTypes: [PostgresDataType] { PreparedTexts.entry(Name.self).types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
