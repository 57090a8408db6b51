import Fluent
import Foundation
import SQLKit
import Testing

@testable import App

@Suite("A key's state, decided in one place")
struct KeyStateTests {
    @Test("status takes the first that applies: leaked, expired, paused, expiring within 7 days, active")
    func precedence() {
        let now = Date()
        func status(revoked: Bool = false, expires: TimeInterval? = nil, paused: Bool = false) -> KeyState.Status {
            KeyState.Status(
                revokedAt: revoked ? now : nil, expiresAt: expires.map { now.addingTimeInterval($0) },
                pausedAt: paused ? now : nil, now: now)
        }
        #expect(status() == .active)
        #expect(status(expires: 8 * 86400) == .active)
        #expect(status(expires: 7 * 86400) == .expiring)
        #expect(status(expires: 60, paused: true) == .paused)
        #expect(status(expires: 0, paused: true) == .expired)
        #expect(status(revoked: true, expires: -60, paused: true) == .leaked)
    }

    @Test("effective permissions are the key's choice within the team's, and a lack names the side that lacks it")
    func permissions() {
        let state = KeyState(
            revokedAt: nil, expiresAt: nil, pausedAt: nil, granted: [.eventsRead, .attendeesRead],
            teamPermissions: [.eventsRead, .eventsWrite])
        #expect(state.permissions == [.eventsRead])
        #expect(state.lacks(.eventsRead) == nil)
        #expect(state.lacks(.eventsWrite) == .byKey)
        #expect(state.lacks(.attendeesRead) == .byTeam)
        let all = KeyState(revokedAt: nil, expiresAt: nil, pausedAt: nil, granted: nil, teamPermissions: [.eventsRead])
        #expect(all.permissions == [.eventsRead])
    }

    @Test("the list's SQL filter finds exactly the keys whose status is the one asked for, on every combination")
    func filterAgreesWithState() async throws {
        try await withKagibag({ $0.maxKeysPerTeam = 1000 }) { app in
            let (_, _, _) = try await Browser.adminWithKey(app)
            let first = try #require(try await APIKey.query(on: app.db).first())
            let now = Date()
            let expiries: [TimeInterval?] = [nil, -86400, -1, 3600, 7 * 86400 - 60, 7 * 86400 + 60, 30 * 86400]
            var expected: [UUID: KeyState.Status] = [first.id!: KeyState.Status(first, now: now)]
            var index = 0
            for revoked in [false, true] {
                for paused in [false, true] {
                    for expiry in expiries {
                        index += 1
                        let key = APIKey(
                            teamID: first.$team.id, createdByID: first.$createdBy.id, name: "Key \(index)",
                            lastFour: "abcd",
                            policy: APIKeyPolicy(
                                description: nil, granted: nil, allowedAddresses: [], mayRollItself: false,
                                expiresAt: expiry.map { now.addingTimeInterval($0) }))
                        key.pausedAt = paused ? now : nil
                        key.revokedAt = revoked ? now : nil
                        try await key.create(on: app.db)
                        expected[key.id!] = KeyState.Status(key, now: now)
                    }
                }
            }
            for status in KeyState.Status.allCases {
                let rows = try await app.db.sql.raw(
                    SQLQueryString("SELECT id FROM api_keys WHERE ") + APIKeyStore.condition(for: status, now: now)
                ).all()
                let found = Set(try rows.map { try $0.decode(column: "id", as: UUID.self) })
                #expect(found == Set(expected.filter { $0.value == status }.keys), "\(status)")
            }
            #expect(Set(expected.values) == Set(KeyState.Status.allCases))
        }
    }
}
