import Foundation
import Testing

@testable import App

/// Row ids are UUIDv7 (RFC 9562), so that lists page by id in time order.
@Suite("UUIDv7 row ids")
struct UUIDv7Tests {
    @Test("an id carries its millisecond, version 7 and the RFC variant, and ids of later milliseconds sort after")
    func layout() {
        let now = Date(timeIntervalSince1970: 1_796_560_000.123)
        let id = UUID.v7(now: now)
        let bytes = withUnsafeBytes(of: id.uuid) { Array($0) }
        let millis = bytes[0..<6].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        #expect(millis == 1_796_560_000_123)
        #expect(bytes[6] >> 4 == 7)
        #expect(bytes[8] >> 6 == 0b10)
        let later = UUID.v7(now: now.addingTimeInterval(0.001))
        #expect(later.uuidString.lowercased() > id.uuidString.lowercased())
        #expect(later > id)
    }

    @Test("ids made in the same millisecond differ (74 random bits)")
    func unique() {
        let now = Date()
        let ids = Set((0..<10_000).map { _ in UUID.v7(now: now) })
        #expect(ids.count == 10_000)
    }

    @Test("ids made one after another increase strictly, within a millisecond too")
    func increasing() {
        let ids = (0..<10_000).map { _ in UUID.v7() }
        #expect(zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 })
    }
}
