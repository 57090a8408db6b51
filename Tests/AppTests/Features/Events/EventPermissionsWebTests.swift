import Fluent
import Testing
import VaporTesting

@testable import App

/// Finding 10 of issue 11: a team's permissions apply to its web pages as to its API keys.
@Suite("Team permissions on the events pages")
struct EventPermissionsWebTests {
    @Test("with events:write revoked, the web form creates no event (as the API refuses) and the pages say why")
    func eventsWriteRevoked() async throws {
        try await withKagibag { app in
            // setup
            let admin = Browser(app)
            try await admin.signUp(Browser.newAccount(team: "Acme Events"))
            let key = try await admin.createKey(named: "CRM sync")
            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "events:write"])
            // MUT
            try await admin.get("/admin/events")
            let listPage = admin.lastPage
            let created = try await admin.post("/admin/events", EventsWebTests.form)
            let refusal = admin.lastPage
            let newForm = try await admin.get("/admin/events/new")
            let viaAPI = try await app.api("/api/v1/organizer/events", method: .POST, key: key, json: ["name": "X"])
            // validate
            #expect(created.status == .forbidden)
            #expect(refusal.contains("does not have the events:write permission"))
            #expect(newForm.status == .forbidden)
            #expect(viaAPI.status == .forbidden)
            #expect(!listPage.contains("Create event</a>"))
            #expect(
                listPage.contains(
                    "Acme Events cannot create or change events: the team does not have the events:write permission"))
            #expect(try await StoredEvents.count(app) == 0)
        }
    }

    @Test("with events:write revoked, an existing event can be neither edited nor cancelled from its page")
    func eventsWriteRevokedForExistingEvent() async throws {
        try await withKagibag { app in
            let (admin, path) = try await EventsWebTests.adminWithEvent(app)
            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "events:write"])
            try await admin.get(path)
            #expect(!admin.lastPage.contains("Edit event</a>"))
            #expect(!admin.lastPage.contains("Cancel event</button>"))
            #expect(try await admin.get("\(path)/edit").status == .forbidden)
            #expect(try await admin.post("\(path)/cancel").status == .forbidden)
            #expect(
                try await admin.post(path, EventsWebTests.form.map { $0.0 == "name" ? ("name", "Renamed") : $0 }).status
                    == .forbidden)
            let event = try #require(try await StoredEvents.all(app).first)
            #expect(event.name == "Swift Summit")
            #expect(event.status == .published)
        }
    }

    @Test("without events:read the events pages are refused, naming the permission")
    func eventsReadRevoked() async throws {
        try await withKagibag { app in
            let (admin, path) = try await EventsWebTests.adminWithEvent(app)
            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "events:read"])
            #expect(try await admin.get("/admin/events").status == .forbidden)
            #expect(admin.lastPage.contains("the team does not have the events:read permission"))
            #expect(try await admin.get(path).status == .forbidden)
            #expect(!admin.lastPage.contains("Swift Summit"))
        }
    }

    @Test("without attendees:read the attendee list is hidden, and without attendees:write attendees cannot be changed")
    func attendeePermissions() async throws {
        try await withKagibag { app in
            let (admin, path) = try await EventsWebTests.adminWithEvent(app)
            try await admin.post("\(path)/attendees", [("name", "Ada"), ("email", "ada@example.com")])
            let attendee = try #require(try await Attendee.query(on: app.db).first())

            try await app.runCommand(["team", "permissions", "acme-events", "--revoke", "attendees:read"])
            try await admin.get(path)
            #expect(!admin.lastPage.contains("ada@example.com"))
            #expect(
                admin.lastPage.contains("cannot see attendees: the team does not have the attendees:read permission"))

            try await app.runCommand([
                "team", "permissions", "acme-events", "--grant", "attendees:read", "--revoke", "attendees:write",
            ])
            try await admin.get(path)
            #expect(admin.lastPage.contains("ada@example.com"))
            #expect(!admin.lastPage.contains("Add attendee</button>"))
            #expect(!admin.lastPage.contains("Cancel registration</button>"))
            #expect(
                admin.lastPage.contains(
                    "cannot register or cancel attendees: the team does not have the attendees:write permission"))
            #expect(
                try await admin.post("\(path)/attendees", [("name", "Grace"), ("email", "grace@example.com")]).status
                    == .forbidden)
            #expect(
                try await admin.post("\(path)/attendees/\(attendee.id!.lowercasedString)/cancel").status == .forbidden)
            #expect(try await Attendee.query(on: app.db).count() == 1)
            #expect(try await Attendee.query(on: app.db).first()?.status == .registered)
        }
    }
}
