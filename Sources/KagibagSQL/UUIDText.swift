import Foundation

/// UUIDs to and from their 36-character text, by hand (here, below the SQLite reader, which reads them; the app uses them too): every event of a list is read (SQLite
/// stores UUIDs as text) and written as text, and Foundation's `UUID(uuidString:)` (through
/// `sscanf`) and `uuidString.lowercased()` were 6–8 % of the list's CPU.
extension UUID {
    /// The canonical lower-case form used on the wire, in URLs and in cursors.
    public var lowercasedString: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    out[at] = hexDigits[Int(byte >> 4)]
                    out[at + 1] = hexDigits[Int(byte & 0x0F)]
                    at += 2
                }
                return at
            }
        }
    }

    /// Parses `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in either case; nil for anything else.
    public init?(text: String) {
        var bytes: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = text.utf8.withContiguousStorageIfAvailable { utf8 -> Bool in
            guard utf8.count == 36 else { return false }
            return withUnsafeMutableBytes(of: &bytes) { out in
                var at = 0
                for index in 0..<16 {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        guard utf8[at] == UInt8(ascii: "-") else { return false }
                        at += 1
                    }
                    guard let high = hexValue(utf8[at]), let low = hexValue(utf8[at + 1]) else { return false }
                    out[index] = high << 4 | low
                    at += 2
                }
                return true
            }
        }
        switch parsed {
        case true?: self.init(uuid: bytes)
        case false?: return nil
        case nil:
            guard let uuid = UUID(uuidString: text) else { return nil }
            self = uuid
        }
    }
}

private let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

private func hexValue(_ character: UInt8) -> UInt8? {
    switch character {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
    default: nil
    }
}
