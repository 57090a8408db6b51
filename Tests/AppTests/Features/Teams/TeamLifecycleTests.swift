import Fluent
import Testing
import VaporTesting

@testable import App

/// Findings 8 and 9 of issue 11: no team is left with keys nobody can revoke, and an admin's
/// role is checked where the change happens, under the team's lock.
@Suite("Leaving and deleting teams; role checks under the team's lock")
struct TeamLifecycleTests {
    @Test("the last member cannot leave a team that still has keys; the keys keep working and stay revocable")
    func lastMemberWithKeysCannotLeave() async throws {
        try await withKagibag { app in
            // setup
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Acme Events"))
            let key = try await admin.createKey(named: "CRM sync")
            _ = try await admin.createKey(named: "Analytics")
            try await admin.get("/admin/team")
            // MUT
            let response = try await admin.post("/admin/team/leave", [("confirmed", "yes")])
            // validate
            #expect(response.status == .conflict)
            #expect(admin.lastPage.contains("You are the last member of Acme Events, and it still has 2 API keys"))
            #expect(admin.lastPage.contains("Delete the team"))
            #expect(try await Membership.query(on: app.db).count() == 1)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .ok)
        }
    }

    @Test("the last member deletes the team after a confirmation naming its keys; the keys stop working at once")
    func lastMemberDeletesTeamWithKeys() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Acme Events"))
            let key = try await admin.createKey(named: "CRM sync")
            _ = try await admin.createKey(named: "Analytics")
            try await admin.get("/admin/team/delete")
            #expect(
                admin.lastPage.contains(
                    "Delete <strong>Acme Events</strong> and its <strong id=\"delete-keys\">2 API keys</strong>?"))
            #expect(admin.lastPage.contains("Delete team and 2 API keys</button>"))
            let response = try await admin.post("/admin/team/delete", [("keys", "2")])
            #expect(response.status == .seeOther)
            try await admin.get("/admin")
            #expect(admin.lastPage.contains("Deleted Acme Events and its 2 API keys."))
            #expect(admin.lastPage.contains("You are not a member of any team."))
            #expect(try await Team.query(on: app.db).count() == 0)
            #expect(try await APIKey.query(on: app.db).count() == 0)
            #expect(try await app.api("/api/v1/organizer/events", key: key).status == .unauthorized)
        }
    }

    @Test("a key created after the confirmation was shown makes the deletion ask again")
    func staleConfirmationIsRefused() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Acme Events"))
            _ = try await admin.createKey(named: "CRM sync")
            try await admin.get("/admin/team/delete")
            let response = try await admin.post("/admin/team/delete", [("keys", "0")])
            #expect(response.status == .conflict)
            #expect(admin.lastPage.contains("Acme Events now has 1 API key. Confirm again."))
            #expect(try await Team.query(on: app.db).count() == 1)
        }
    }

    @Test("a team with other members cannot be deleted, and a member cannot delete it")
    func teamWithOthersIsNotDeleted() async throws {
        try await withKagibag { app in
            let (admin, member, memberAccount) = try await Browser.twoSignedUp(app)
            try await member.joinTeam(of: admin, email: memberAccount.email)
            try await admin.get("/admin/team/delete")
            #expect(admin.lastPage.contains("<strong>Acme Events</strong> still has 1 other member."))
            #expect(try await admin.post("/admin/team/delete", [("keys", "0")]).status == .conflict)
            try await member.get("/admin/team")
            #expect(try await member.post("/admin/team/delete", [("keys", "0")]).status == .forbidden)
            #expect(try await Team.query(on: app.db).count() == 2)
        }
    }

    @Test("the last member of a team without keys may still leave it")
    func lastMemberWithoutKeysLeaves() async throws {
        try await withKagibag { app in
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Acme Events"))
            try await admin.get("/admin/team")
            #expect(try await admin.post("/admin/team/leave", [("confirmed", "yes")]).status == .seeOther)
            #expect(try await Membership.query(on: app.db).count() == 0)
        }
    }

    @Test("an admin removed a moment ago cannot finish the member changes they had in flight")
    func removedAdminsInFlightChangesAreRefused() async throws {
        try await withKagibag { app in
            // setup: two admins, and people for the second one to add
            let (first, second, secondAccount) = try await Browser.twoSignedUp(app)
            try await second.joinTeam(of: first, email: secondAccount.email, role: "admin")
            let people = (0..<16).map { _ in Browser.newAccount(team: "Person") }
            for person in people { try await Browser(app).signUp(person) }
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            let secondUser = try #require(
                try await User.query(on: app.db).filter(\.$email == secondAccount.email).first())
            let secondRow = try #require(try await TeamStore.membership(of: secondUser.id!, in: teamID, on: app.db)?.id)
            try await second.get("/admin/team")
            try await first.get("/admin/team")
            // MUT: the removal lands in the middle of the second admin's burst
            let statuses = try await withThrowingTaskGroup(of: (String, UInt).self) { group in
                for (n, person) in people.enumerated() {
                    group.addTask {
                        (
                            "add",
                            try await second.post("/admin/team/members", [("email", person.email), ("role", "admin")])
                                .status.code
                        )
                    }
                    if n == 4 {
                        group.addTask {
                            (
                                "remove",
                                try await first.post(
                                    "/admin/team/members/\(secondRow.lowercasedString)/remove", [("confirmed", "yes")]
                                ).status.code
                            )
                        }
                    }
                }
                return try await group.reduce(into: [(String, UInt)]()) { $0.append($1) }
            }
            // validate: nothing the second admin did is recorded after their removal
            #expect(statuses.contains { $0 == ("remove", 303) })
            let entries = try await AuditEvent.query(on: app.db).filter(\.$teamID == teamID).all()
                .sorted { ($0.createdAt ?? .distantPast) < ($1.createdAt ?? .distantPast) }
            let removal = try #require(entries.firstIndex { $0.action == "member.removed" })
            let afterRemoval = entries[(removal + 1)...].filter { $0.actorID == secondUser.id }
            #expect(
                afterRemoval.isEmpty,
                "\(afterRemoval.count) changes by the removed admin after the removal: \(statuses)")
            #expect(try await TeamStore.membership(of: secondUser.id!, in: teamID, on: app.db) == nil)
        }
    }

    @Test("a change whose request began while its admin was still one is refused once they are not")
    func staleAdminIsRefusedAtTheWrite() async throws {
        try await withKagibag { app in
            // setup: the second admin's request has been authenticated (its CurrentUser loaded)...
            let (first, second, secondAccount) = try await Browser.twoSignedUp(app)
            let person = Browser.newAccount(team: "Person")
            try await Browser(app).signUp(person)
            try await second.joinTeam(of: first, email: secondAccount.email, role: "admin")
            let teamID = try #require(try await Team.query(on: app.db).filter(\.$slug == "acme-events").first()?.id)
            let secondUser = try #require(
                try await User.query(on: app.db).filter(\.$email == secondAccount.email).first())
            let memberships = try await TeamStore.memberships(of: secondUser.id!, on: app.db)
            let stale = CurrentUser(
                user: secondUser, memberships: memberships, current: memberships.first { $0.team.id == teamID })
            // ...and then the first admin removes them, before that request reaches its write.
            let secondRow = try #require(try await TeamStore.membership(of: secondUser.id!, in: teamID, on: app.db)?.id)
            try await first.get("/admin/team")
            #expect(
                try await first.post("/admin/team/members/\(secondRow.lowercasedString)/remove", [("confirmed", "yes")])
                    .status == .seeOther)
            // MUT: the request goes on, as it would have in flight
            let request = Request(
                application: app, method: .POST, url: "/admin/team/members",
                headers: ["Content-Type": "application/x-www-form-urlencoded"],
                collectedBody: ByteBuffer(string: "email=\(Browser.encode(person.email))&role=admin"),
                on: app.eventLoopGroup.next())
            request.state.audience = .web
            request.currentUser = stale
            let status: HTTPStatus
            do {
                status = try await app.sessions.middleware.respond(
                    to: request, chainingTo: Handler { try await TeamController().addMember(req: $0) }
                ).get().status
            } catch let abort as any AbortError {
                status = abort.status
            }
            // validate
            #expect(status == .forbidden)
            let personUser = try #require(try await User.query(on: app.db).filter(\.$email == person.email).first())
            #expect(try await TeamStore.membership(of: personUser.id!, in: teamID, on: app.db) == nil)
            let aboutPerson = try await AuditEvent.query(on: app.db).filter(\.$teamID == teamID).all().filter {
                $0.summary.contains(person.email)
            }
            #expect(aboutPerson.isEmpty, "\(aboutPerson.map(\.summary))")
        }
    }

    /// Calls a handler directly, behind the sessions middleware (which the handlers expect).
    struct Handler: AsyncResponder {
        let body: @Sendable (Request) async throws -> Response
        init(_ body: @escaping @Sendable (Request) async throws -> Response) { self.body = body }
        func respond(to request: Request) async throws -> Response { try await body(request) }
    }
}
