import Foundation

/// The column types the hot rows hold, recognised by the identity of the requested type: the
/// readers' `decode` is generic, and `is String?.Type` or `as! D` looked up generic metadata on
/// every cell (6 % of an event list's CPU).
enum ColumnType {
    case string, uuid, date, int, bool

    /// The kind of `type` and whether it is its optional form; nil for any other type.
    static func of(_ type: any Any.Type) -> (kind: ColumnType, optional: Bool)? {
        known[ObjectIdentifier(type)]
    }

    private static let known: [ObjectIdentifier: (kind: ColumnType, optional: Bool)] = [
        ObjectIdentifier(String.self): (.string, false), ObjectIdentifier(String?.self): (.string, true),
        ObjectIdentifier(UUID.self): (.uuid, false), ObjectIdentifier(UUID?.self): (.uuid, true),
        ObjectIdentifier(Date.self): (.date, false), ObjectIdentifier(Date?.self): (.date, true),
        ObjectIdentifier(Int.self): (.int, false), ObjectIdentifier(Int?.self): (.int, true),
        ObjectIdentifier(Bool.self): (.bool, false), ObjectIdentifier(Bool?.self): (.bool, true),
    ]

    /// `value` as `D`, where `D` is `T` (or `T?` when `optional`), as `of` said. Inlined (as are
    /// the readers' helpers that call it) so that `T` is a known type at each use: called as a
    /// generic function, `T?` was a runtime metadata lookup per cell (~10 % of a PostgreSQL list).
    @inline(__always)
    static func cast<T, D>(_ value: T?, optional: Bool, to: D.Type) -> D? {
        if optional { return unsafeBitCast(value, to: D.self) }
        guard let value else { return nil }
        return unsafeBitCast(value, to: D.self)
    }
}
