import Foundation
import Testing

@testable import App

@Suite("RFC 3339 dates")
struct RFC3339Tests {
    @Test("formatting and parsing agree with known instants")
    func knownAnswers() throws {
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 951_782_400.25)) == "2000-02-29T00:00:00.250Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_800_000_000)) == "2027-01-15T08:00:00Z")
        #expect(RFC3339.parse("2000-02-29T01:00:00.250+01:00") == Date(timeIntervalSince1970: 951_782_400.25))
        #expect(RFC3339.parse("1970-01-01t00:00:00z") == Date(timeIntervalSince1970: 0))
        for text in [
            "2001-02-29T00:00:00Z", "2027-13-01T00:00:00Z", "2027-01-01T00:00:00", "2027-01-01T00:00:00+1:00", "x",
        ] {
            #expect(RFC3339.parse(text) == nil, "\(text)")
        }
    }
}
