/// Finds API keys in text that arrives in pieces (a log file read in chunks), holding at most one
/// key's length of it between pieces, so a 200 MB line costs what a short one does.
///
/// A key is `kgb_` and 46 base62 characters that is not part of a longer word: the byte before
/// it and the byte after it are neither base62 nor `_` (so `xkgb_…` and `kgb_…_x` are not keys).
public struct APIKeyScanner: Sendable {
    /// Bytes not yet decided on: fewer than a key and the byte after it.
    private var pending: [UInt8] = []
    /// The byte just before `pending`, if any.
    private var before: UInt8?
    /// Lines seen so far (a last line without a newline counts once `finish` is called).
    public private(set) var lines = 0
    private var lineOpen = false

    public init() {}

    /// Scans the next piece of input; returns the keys that end in it.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                lines += 1
                lineOpen = false
            } else {
                lineOpen = true
            }
            pending.append(byte)
        }
        return scan(final: false)
    }

    /// Ends the input; returns the keys in what was left.
    public mutating func finish() -> [String] {
        if lineOpen { lines += 1 }
        lineOpen = false
        return scan(final: true)
    }

    private mutating func scan(final: Bool) -> [String] {
        let length = APIKeyToken.length
        var found: [String] = []
        var index = 0
        while index + length <= pending.count {
            let end = index + length
            // The byte after a candidate decides; without it (and more input to come), wait.
            if end == pending.count, !final { break }
            let previous = index == 0 ? before : pending[index - 1]
            if pending[index] == UInt8(ascii: "k"), Self.isKey(pending[index..<end]),
                previous.map({ !Self.isWordByte($0) }) ?? true,
                end == pending.count || !Self.isWordByte(pending[end])
            {
                found.append(String(decoding: pending[index..<end], as: UTF8.self))
                index = end
            } else {
                index += 1
            }
        }
        if final {
            pending.removeAll()
            before = nil
        } else if index > 0 {
            before = pending[index - 1]
            pending.removeFirst(index)
        }
        return found
    }

    private static let prefix = Array(APIKeyToken.prefix.utf8)

    private static func isKey(_ bytes: ArraySlice<UInt8>) -> Bool {
        bytes.prefix(prefix.count).elementsEqual(prefix) && bytes.dropFirst(prefix.count).allSatisfy(isBase62)
    }

    private static func isBase62(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
    }

    /// Bytes that would make a key part of a longer word.
    private static func isWordByte(_ byte: UInt8) -> Bool {
        isBase62(byte) || byte == UInt8(ascii: "_")
    }
}
