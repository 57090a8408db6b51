import Foundation
import Vapor

/// A minimal JSON writer for the hottest responses (event lists), appending UTF-8 straight
/// into a byte buffer. Foundation's `JSONEncoder` goes through `Encodable` containers and
/// dynamic casts for every field, which measured as a large share of an authenticated list.
/// Output is ordinary JSON; `JSONWriterTests` read it back with `JSONSerialization`.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A JSON string. The runs of bytes that need no escaping (nearly all of any text) are
    /// copied whole: appended byte by byte, this was the largest single cost of a SQLite list
    /// (12.6 % of its CPU, `scripts/bench --profile`).
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var start = 0
            for index in utf8.indices where Self.needsEscape(utf8[index]) {
                if start < index { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start..<index])) }
                escape(utf8[index])
                start = index + 1
            }
            if start < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[start...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// The bytes JSON does not allow raw in a string (RFC 8259 §7): the quote, the backslash
    /// and the control characters.
    @inline(__always)
    private static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    private mutating func escape(_ byte: UInt8) {
        switch byte {
        case UInt8(ascii: "\""): raw("\\\"")
        case UInt8(ascii: "\\"): raw("\\\\")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        // As JSONEncoder writes them, so that problem details stay byte for byte its output.
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        default:
            let hex = Self.hexDigits
            bytes.append(contentsOf: [
                UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 0x0F)],
            ])
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    mutating func int(_ value: Int?) {
        guard let value else { return raw("null") }
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func date(_ value: Date) {
        bytes.append(UInt8(ascii: "\""))
        RFC3339.write(value, into: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    /// `"key":` (keys are fixed ASCII names that need no escaping).
    mutating func key(_ name: StaticString, first: Bool = false) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\":")
    }
}

extension JSONWriter {
    /// What was written, as a JSON response.
    func response(_ status: HTTPStatus, location: String? = nil) -> Response {
        let response = Response(status: status, body: .init(buffer: ByteBuffer(bytes: bytes)))
        response.headers.contentType = .json
        if let location { response.headers.replaceOrAdd(name: .location, value: location) }
        return response
    }
}
