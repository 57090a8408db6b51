import Foundation
import SQLiteKit

/// The reader's rows by position (`PositionalRow`): the same conversions as `decode(column:as:)`'s
/// for the hot rows' types; anything they do not convert (a null where none is allowed, another
/// type) goes to `decode(column:as:)`, which converts it or says why not.
extension SQLiteReader.Row {
    func positions(of columns: ColumnList) -> [Int]? { layout.positions(of: columns) { names } }

    func string(at position: Int) throws -> String {
        try String(sqliteData: values[position]) ?? decode(column: names[position], as: String.self)
    }

    func optionalString(at position: Int) throws -> String? {
        if values[position] == .null { return nil }
        return try String(sqliteData: values[position]) ?? decode(column: names[position], as: String?.self)
    }

    func uuid(at position: Int) throws -> UUID {
        if case .text(let text) = values[position], let uuid = UUID(text: text) { return uuid }
        return try decode(column: names[position], as: UUID.self)
    }

    func date(at position: Int) throws -> Date {
        try Date(sqliteData: values[position]) ?? decode(column: names[position], as: Date.self)
    }

    func optionalDate(at position: Int) throws -> Date? {
        if values[position] == .null { return nil }
        return try Date(sqliteData: values[position]) ?? decode(column: names[position], as: Date?.self)
    }

    func int(at position: Int) throws -> Int {
        try Int(sqliteData: values[position]) ?? decode(column: names[position], as: Int.self)
    }

    func optionalInt(at position: Int) throws -> Int? {
        if values[position] == .null { return nil }
        return try Int(sqliteData: values[position]) ?? decode(column: names[position], as: Int?.self)
    }

    func bool(at position: Int) throws -> Bool {
        try Bool(sqliteData: values[position]) ?? decode(column: names[position], as: Bool.self)
    }
}
