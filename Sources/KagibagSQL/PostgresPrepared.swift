import NIOConcurrencyHelpers
import PostgresNIO

/// Named prepared statements for `PostgresStatements`: a `FixedPlan` statement, with the types of
/// its binds, is parsed and planned once per connection instead of on every run (PostgreSQL
/// spent most of a key check's CPU parsing and planning the join).
///
/// PostgresNIO prepares per connection and on first use, but names a statement by a Swift type
/// (`PostgresPreparedStatement`), while these texts are known only at run time. So each text is
/// given one of `capacity` slot types (`Slot<Slot<…>>`, built once), whose static `name` and
/// `sql` read this registry; a slot is never given to another text, as connections keep what
/// they prepared under its name. Once the slots are taken, further texts run unprepared.
final class PostgresPreparedStatements: Sendable {
    static let shared = PostgresPreparedStatements(capacity: 64)

    struct Entry: Sendable {
        let name: String
        let sql: String
        let types: [PostgresDataType]
    }

    private struct State {
        var slotBySQL: [String: Int] = [:]
        var entries: [Entry] = []
    }

    private let slots: [any PreparedSlot.Type]
    private let indexOfSlot: [ObjectIdentifier: Int]
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) {
        var slots: [any PreparedSlot.Type] = []
        func add<S: PreparedSlot>(_ slot: S.Type, remaining: Int) {
            guard remaining > 0 else { return }
            slots.append(slot)
            add(Slot<S>.self, remaining: remaining - 1)
        }
        add(FirstSlot.self, remaining: capacity)
        self.slots = slots
        indexOfSlot = Dictionary(uniqueKeysWithValues: slots.enumerated().map { (ObjectIdentifier($1), $0) })
    }

    /// The slot prepared for `sql` with binds of `types`; nil when the slots are all taken, or
    /// when the text was first prepared with binds of other types.
    func slot(for sql: String, types: [PostgresDataType]) -> (any PreparedSlot.Type)? {
        state.withLockedValue { state in
            if let index = state.slotBySQL[sql] { return state.entries[index].types == types ? slots[index] : nil }
            guard state.entries.count < slots.count else { return nil }
            let index = state.entries.count
            state.entries.append(Entry(name: "kagibag_\(index)", sql: sql, types: types))
            state.slotBySQL[sql] = index
            return slots[index]
        }
    }

    fileprivate func entry(of slot: any PreparedSlot.Type) -> Entry {
        let index = indexOfSlot[ObjectIdentifier(slot)]!
        return state.withLockedValue { $0.entries[index] }
    }
}

/// A slot type; only its identity matters.
protocol PreparedSlot: Sendable {}
private enum FirstSlot: PreparedSlot {}
private enum Slot<Previous: PreparedSlot>: PreparedSlot {}

/// One run of the statement in slot `S`, with its binds; rows are handed on as they come.
struct PreparedRun<S: PreparedSlot>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var name: String { PostgresPreparedStatements.shared.entry(of: S.self).name }
    static var sql: String { PostgresPreparedStatements.shared.entry(of: S.self).sql }
    static var bindingDataTypes: [PostgresDataType] { PostgresPreparedStatements.shared.entry(of: S.self).types }

    let bindings: PostgresBindings

    func makeBindings() throws -> PostgresBindings { bindings }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}
