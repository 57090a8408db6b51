import Foundation
import NIOConcurrencyHelpers

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, then random bits.
    ///
    /// Ids that sort by creation time let lists page by id alone: stable while rows are added,
    /// portable across SQLite and PostgreSQL, and cheap to index.
    /// Made now, ids of one process increase strictly (RFC 9562 §6.2, method 1: within a
    /// millisecond the 12 bits after the version count up from a random start), so that rows
    /// made one after another, such as webhook messages about one object, sort in that order.
    /// With `now` given, the time is taken as is.
    static func v7(now: Date? = nil) -> UUID {
        // Two calls for the 74 random bits: each call is a `getrandom` system call (one per
        // byte, as this once made, was visible in the profile of every API request).
        var generator = SystemRandomNumberGenerator()
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        let (millis, sequence): (UInt64, UInt64)
        if let now {
            (millis, sequence) = (UInt64(max(0, now.timeIntervalSince1970 * 1000)), random.0 & 0x0FFF)
        } else {
            let clock = UInt64(max(0, Date().timeIntervalSince1970 * 1000))
            (millis, sequence) = lastV7.withLockedValue { last in
                if clock > last.millis {
                    // A random start in the lower half leaves room to count up within the millisecond.
                    last = (clock, random.0 & 0x07FF)
                } else if last.sequence < 0x0FFF {
                    last.sequence += 1
                } else {
                    last = (last.millis + 1, random.0 & 0x07FF)
                }
                return (last.millis, last.sequence)
            }
        }
        // 48 bits of milliseconds, the version (7), 12 bits of sequence; the variant (10), 62 random bits.
        let high = (millis << 16) | 0x7000 | sequence
        let low = (random.1 & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000
        func byte(_ word: UInt64, _ index: Int) -> UInt8 { UInt8(truncatingIfNeeded: word >> (8 * (7 - index))) }
        return UUID(
            uuid: (
                byte(high, 0), byte(high, 1), byte(high, 2), byte(high, 3), byte(high, 4), byte(high, 5),
                byte(high, 6), byte(high, 7), byte(low, 0), byte(low, 1), byte(low, 2), byte(low, 3),
                byte(low, 4), byte(low, 5), byte(low, 6), byte(low, 7)
            ))
    }
}

/// The last UUIDv7 made by this process: its millisecond and sequence.
private let lastV7 = NIOLockedValueBox<(millis: UInt64, sequence: UInt64)>((0, 0))
