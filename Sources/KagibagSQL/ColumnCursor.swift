import Foundation
import NIOConcurrencyHelpers
import SQLKit

/// The columns a record reads from the rows of its statements, in the order it reads them.
/// One instance per record type (a `static let`): the readers remember, per statement, where
/// these columns stand in its rows, for this instance.
public final class ColumnList: Sendable, ExpressibleByArrayLiteral {
    public let names: [String]

    public init(arrayLiteral names: String...) { self.names = names }
}

/// A row of Kagibag's own readers (SQLite's read connections, PostgreSQL's statements) that reads
/// its cells by position. Finding a cell by name cost hash lookups (PostgreSQL) or a scan of the
/// names (SQLite) per cell: row decoding was 15 % of a PostgreSQL list's CPU. The positions are
/// worked out once per statement, from its column names, and shared by all its rows.
public protocol PositionalRow: SQLRow {
    /// Where each of `columns` stands in this row; nil if one is missing (then read by name).
    func positions(of columns: ColumnList) -> [Int]?
    /// The typed reads at a position; a cell of another type or a null where none is allowed
    /// throws the same error as `decode(column:as:)`.
    func string(at position: Int) throws -> String
    func optionalString(at position: Int) throws -> String?
    func uuid(at position: Int) throws -> UUID
    func date(at position: Int) throws -> Date
    func optionalDate(at position: Int) throws -> Date?
    func int(at position: Int) throws -> Int
    func optionalInt(at position: Int) throws -> Int?
    func bool(at position: Int) throws -> Bool
}

/// Reads a row's columns in a `ColumnList`'s order: by position from Kagibag's own readers, by
/// name from any other row (Fluent's, inside a transaction), with the same results.
public struct ColumnCursor {
    private let row: any SQLRow
    private let positional: (any PositionalRow)?
    private let positions: [Int]
    private let names: [String]
    private var next = 0

    public init(_ row: some SQLRow, _ columns: ColumnList) {
        self.row = row
        names = columns.names
        if let fast = row as? any PositionalRow, let positions = fast.positions(of: columns) {
            positional = fast
            self.positions = positions
        } else {
            positional = nil
            positions = []
        }
    }

    public mutating func string() throws -> String { try read { try $0.string(at: $1) } }
    public mutating func optionalString() throws -> String? { try read { try $0.optionalString(at: $1) } }
    public mutating func uuid() throws -> UUID { try read { try $0.uuid(at: $1) } }
    public mutating func date() throws -> Date { try read { try $0.date(at: $1) } }
    public mutating func optionalDate() throws -> Date? { try read { try $0.optionalDate(at: $1) } }
    public mutating func int() throws -> Int { try read { try $0.int(at: $1) } }
    public mutating func optionalInt() throws -> Int? { try read { try $0.optionalInt(at: $1) } }
    public mutating func bool() throws -> Bool { try read { try $0.bool(at: $1) } }

    /// The next column: `atPosition` from Kagibag's own rows, else decoded by its name.
    @inline(__always)
    private mutating func read<Value: Decodable>(
        _ atPosition: (any PositionalRow, Int) throws -> Value
    ) throws -> Value {
        defer { next += 1 }
        if let positional { return try atPosition(positional, positions[next]) }
        return try row.decode(column: names[next], as: Value.self)
    }
}

/// The column names of one statement's rows and where the last `ColumnList` asked for stands in
/// them: made once per statement and shared by its rows, so names are matched once, not per cell.
final class RowLayout: Sendable {
    private struct State {
        var names: [String]?
        /// Held, not only identified: a list freed and another made at its address must not
        /// find this one's positions.
        var list: ColumnList?
        var positions: [Int]?
    }

    private let state = NIOLockedValueBox(State())

    /// nil when a column is missing, or named twice in the row (the drivers disagree on which of
    /// two same-named cells a name finds, so such a row is read by name, as each always did).
    func positions(of columns: ColumnList, names readNames: () -> [String]) -> [Int]? {
        state.withLockedValue { state in
            if let list = state.list, list === columns { return state.positions }
            let names = state.names ?? readNames()
            var index: [String: Int] = [:]
            var twice: Set<String> = []
            for (position, name) in names.enumerated() {
                if index[name] == nil { index[name] = position } else { twice.insert(name) }
            }
            var positions: [Int]? = []
            for name in columns.names {
                guard let position = index[name], !twice.contains(name) else {
                    positions = nil
                    break
                }
                positions?.append(position)
            }
            state = State(names: names, list: columns, positions: positions)
            return positions
        }
    }
}
