import Foundation
import PostgresNIO

/// The statements' rows by position (`PositionalRow`): the cell at a position decoded as its
/// type, as `decode(column:as:)` does it by name; a null where none is allowed throws as there.
extension PostgresStatements.Row {
    func positions(of columns: ColumnList) -> [Int]? { layout.positions(of: columns) { original.map(\.columnName) } }

    func string(at position: Int) throws -> String { try row[position].decode(String.self) }
    func optionalString(at position: Int) throws -> String? { try optional(position, String.self) }
    func uuid(at position: Int) throws -> UUID { try row[position].decode(UUID.self) }
    func date(at position: Int) throws -> Date { try row[position].decode(Date.self) }
    func optionalDate(at position: Int) throws -> Date? { try optional(position, Date.self) }
    func int(at position: Int) throws -> Int { try row[position].decode(Int.self) }
    func optionalInt(at position: Int) throws -> Int? { try optional(position, Int.self) }
    func bool(at position: Int) throws -> Bool { try row[position].decode(Bool.self) }

    @inline(__always)
    private func optional<T: PostgresDecodable>(_ position: Int, _ type: T.Type) throws -> T? {
        let cell = row[position]
        return cell.bytes == nil ? nil : try cell.decode(T.self)
    }
}
